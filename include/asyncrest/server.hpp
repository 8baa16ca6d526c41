// The server: an app of routes and middleware, requests, responses and their bodies (event
// streams among them), static files, conditional requests, forms and file uploads, cookies, CORS,
// upgrades, the typed request context, dependencies checked at compile time, typed JSON bodies
// (structs read, with 422 for what does not fit, and written), typed handler parameters and
// results, request ids, access logs, rate limits, load shedding, handler deadlines, metrics,
// health, the hub for fan-out across threads, the test client, and the settings; with the core
// types they use (typed JSON's .pattern constraint needs <asyncrest/core/json_pattern.hpp>).
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/reflection.hpp>
#include <asyncrest/core/request_deadline.hpp>
#include <asyncrest/core/result.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/access_log.hpp>
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/compression.hpp>
#include <asyncrest/server/conditional.hpp>
#include <asyncrest/server/context.hpp>
#include <asyncrest/server/cookies.hpp>
#include <asyncrest/server/cors.hpp>
#include <asyncrest/server/deadline.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/disconnect.hpp>
#include <asyncrest/server/events.hpp>
#include <asyncrest/server/forms.hpp>
#include <asyncrest/server/health.hpp>
#include <asyncrest/server/hub.hpp>
#include <asyncrest/server/load_shedding.hpp>
#include <asyncrest/server/metrics.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/multipart.hpp>
#include <asyncrest/server/openapi.hpp>
#include <asyncrest/server/rate_limit.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/request_id.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/route_metadata.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/settings.hpp>
#include <asyncrest/server/static_files.hpp>
#include <asyncrest/server/swagger_ui.hpp>
#include <asyncrest/server/test_client.hpp>
#include <asyncrest/server/typed_body.hpp>
#include <asyncrest/server/typed_parameters.hpp>
#include <asyncrest/server/typed_results.hpp>
#include <asyncrest/server/upgrade.hpp>
// WebSocket (SHA-1 for the handshake, random masks) and signed cookies (HMAC-SHA256) need
// OpenSSL's libcrypto: link asyncrest::tls.
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
#include <asyncrest/server/relay.hpp>
#include <asyncrest/server/signed_cookies.hpp>
#include <asyncrest/server/websocket.hpp>
#include <asyncrest/websocket/connection.hpp>
#include <asyncrest/websocket/message.hpp>
#include <asyncrest/websocket/settings.hpp>
#endif
