// Everything asyncrest offers, in one include.
#pragma once

#include <asyncrest/app.hpp>
#include <asyncrest/body.hpp>
#include <asyncrest/client.hpp>
#include <asyncrest/client_error.hpp>
#include <asyncrest/client_response.hpp>
#include <asyncrest/client_settings.hpp>
#include <asyncrest/gather.hpp>
#include <asyncrest/headers.hpp>
#include <asyncrest/http_error.hpp>
#include <asyncrest/job_backend.hpp>
#include <asyncrest/jobs.hpp>
#include <asyncrest/json.hpp>
#include <asyncrest/method.hpp>
#include <asyncrest/middleware.hpp>
#include <asyncrest/request.hpp>
#include <asyncrest/response.hpp>
#include <asyncrest/result.hpp>
#include <asyncrest/route.hpp>
#include <asyncrest/router.hpp>
#include <asyncrest/settings.hpp>
#include <asyncrest/status.hpp>
#include <asyncrest/task.hpp>
#include <asyncrest/upgrade.hpp>
#include <asyncrest/url.hpp>
