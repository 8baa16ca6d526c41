// The HTTP client: requests with retries, redirects and timeouts over a connection pool, HTTPS
// with asyncrest::tls, gather/bounded_map to fetch many URLs at once, server-sent events, and
// request bodies as forms and as streams a coroutine writes; with the core types (typed JSON
// among them: read_json<T> for a response's body); a cookie jar, authentication helpers,
// a base URL and proxies.
#pragma once

#include <asyncrest/client/authentication.hpp>
#include <asyncrest/client/body_writer.hpp>
#include <asyncrest/client/client.hpp>
#include <asyncrest/client/cookie_jar.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/events.hpp>
#include <asyncrest/client/forms.hpp>
#include <asyncrest/client/gather.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/client/settings.hpp>
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
#include <asyncrest/client/websocket.hpp>
#include <asyncrest/websocket/connection.hpp>
#include <asyncrest/websocket/message.hpp>
#include <asyncrest/websocket/settings.hpp>
#endif
#include <asyncrest/core/headers.hpp>
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
