// CORS given to a route rather than the app: the router answers OPTIONS before a route's
// middleware run, so the route would never see a preflight.
// expected error: must be given to the app, app\{routes, cors\{...\}\}, not to a route's \.use\(\)
#include <asyncrest/server/cors.hpp>
#include <asyncrest/server/route.hpp>

auto broken = asyncrest::get<"/x">([]() -> asyncrest::response {
                return asyncrest::text("x");
              }).use(asyncrest::cors{{.allowed_origins = {"https://a.example"}}});
