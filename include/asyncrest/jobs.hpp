// Background jobs: a queue served by worker coroutines, with retries, its HTTP routes and a
// backend interface; it serves its routes through the server.
#pragma once

#include <asyncrest/jobs/backend.hpp>
#include <asyncrest/jobs/job_messages.hpp>
#include <asyncrest/jobs/jobs.hpp>
