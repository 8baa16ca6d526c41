// expected error: a job_routes prefix is a path such as
#include <asyncrest/jobs/jobs.hpp>

namespace ar = asyncrest;

void make(ar::jobs& queue) { (void)ar::job_routes<"/jobs/">(queue); }
