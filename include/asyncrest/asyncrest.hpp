// Everything asyncrest offers, in one include: the server, the client and background jobs.
// A service that only serves includes <asyncrest/server.hpp> and does not parse the client;
// tracing, which posts its spans with the client, is here and in <asyncrest/server/tracing.hpp>;
// the client's metrics, which live in the server's registry, here and in
// <asyncrest/client/metrics.hpp>; the typed client, whose calls are a server's routes, here and in
// <asyncrest/client/typed_client.hpp>.
#pragma once

#include <asyncrest/client.hpp>
#include <asyncrest/client/metrics.hpp>
#include <asyncrest/client/typed_client.hpp>
#include <asyncrest/jobs.hpp>
#include <asyncrest/server.hpp>
#include <asyncrest/server/tracing.hpp>
