// expected error: app.attach\(service\) takes a service with begin_drain
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/router.hpp>

namespace ar = asyncrest;

struct neither_drains_nor_listens {
  void stop() {}
};

void make() {
  ar::app app{ar::routes(ar::get<"/">([] { return ar::text("hi"); }))};
  neither_drains_nor_listens service;
  app.attach(service);
}
