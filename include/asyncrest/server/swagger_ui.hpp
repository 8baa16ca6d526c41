// A documentation page for an OpenAPI document: Swagger UI, whose files come from npm's
// swagger-ui-dist package in a folder on the server, found when a page is asked for.
//
//     npm install swagger-ui-dist          # node_modules/swagger-ui-dist
//
//     ar::app app{ar::routes(std::move(api), std::move(document),
//                            ar::swagger_ui<"/docs">({.directory = "node_modules/swagger-ui-dist"}))};
//
// `GET /docs` is the page, which loads `/docs/swagger-ui.css` and `/docs/swagger-ui-bundle.js`
// and then the document at `document_url`. Only Swagger UI's own files are served from the
// folder, by name, so no other file of the server can be reached through it. When the folder
// does not hold them, the page answers 503 with a problem that says how to install them.
#pragma once

#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace asyncrest {

/// Where Swagger UI's files are and what its page shows.
struct swagger_ui_settings {
  /// The folder of npm's swagger-ui-dist package (the one holding swagger-ui-bundle.js).
  std::filesystem::path directory = "node_modules/swagger-ui-dist";
  /// The URL the page loads the OpenAPI document from.
  std::string document_url = "/openapi.json";
  /// The page's title.
  std::string title = "API documentation";
};

namespace detail {

/// The files of swagger-ui-dist the page uses, and their types: nothing else is served.
struct swagger_ui_file {
  std::string_view name;
  std::string_view content_type;
};
inline constexpr swagger_ui_file swagger_ui_files[] = {
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
};

inline response swagger_ui_missing() {
  return problem(status::service_unavailable,
                 "the documentation page needs Swagger UI's files, which are not installed on this server: run "
                 "`npm install swagger-ui-dist` and set swagger_ui_settings::directory to "
                 "node_modules/swagger-ui-dist");
}

inline void append_html_text(std::string& out, std::string_view text) {
  for (const char character : text) {
    switch (character) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(character);
    }
  }
}

/// `text` as a JavaScript string literal that cannot end the script element it is in.
inline std::string script_string(std::string_view text) {
  std::string quoted;
  json_writer out{quoted};
  out.value(text);
  std::string safe;
  for (const char character : quoted) {
    if (character == '<') {
      safe.append("\\u003c");
    } else {
      safe.push_back(character);
    }
  }
  return safe;
}

inline std::string swagger_ui_page(std::string_view assets, const swagger_ui_settings& settings) {
  std::string page = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  append_html_text(page, settings.title);
  page.append("</title>\n<link rel=\"stylesheet\" href=\"");
  append_html_text(page, assets);
  page.append("/swagger-ui.css\">\n<link rel=\"icon\" type=\"image/png\" href=\"");
  append_html_text(page, assets);
  page.append("/favicon-32x32.png\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n<script src=\"");
  append_html_text(page, assets);
  page.append("/swagger-ui-bundle.js\"></script>\n<script>\nwindow.ui = SwaggerUIBundle({url: ");
  page.append(script_string(settings.document_url));
  page.append(", dom_id: \"#swagger-ui\", deepLinking: true});\n</script>\n</body>\n</html>\n");
  return page;
}

struct swagger_ui_state {
  swagger_ui_settings settings;
  std::string page;

  [[nodiscard]] bool installed() const {
    std::error_code error;
    return std::filesystem::is_regular_file(settings.directory / "swagger-ui-bundle.js", error);
  }
};

struct swagger_ui_page_handler {
  std::shared_ptr<const swagger_ui_state> state;

  response operator()() const {
    if (!state->installed()) return swagger_ui_missing();
    response answer{status::ok, {}, state->page};
    answer.headers.set("Content-Type", "text/html; charset=utf-8");
    answer.headers.set("Cache-Control", "no-cache");
    return answer;
  }
};

struct swagger_ui_file_handler {
  std::shared_ptr<const swagger_ui_state> state;

  response operator()(std::string_view name) const {
    for (const swagger_ui_file& known : swagger_ui_files) {
      if (known.name != name) continue;
      if (!state->installed()) return swagger_ui_missing();
      response answer = file(state->settings.directory / known.name, known.content_type);
      answer.headers.set("Cache-Control", "max-age=3600");
      answer.headers.set("X-Content-Type-Options", "nosniff");
      return answer;
    }
    return problem(status::not_found, "Swagger UI has no such file");
  }
};

/// `Prefix` followed by "/{file}": the path of the page's files.
template <fixed_string Prefix>
consteval auto swagger_ui_files_path() {
  constexpr std::string_view prefix = Prefix.view();
  constexpr std::string_view suffix = "/{file}";
  char text[prefix.size() + suffix.size() + 1]{};
  for (std::size_t at = 0; at < prefix.size(); ++at) text[at] = prefix[at];
  for (std::size_t at = 0; at < suffix.size(); ++at) text[prefix.size() + at] = suffix[at];
  return fixed_string<prefix.size() + suffix.size() + 1>(text);
}

}  // namespace detail

/// The Swagger UI page at `Path` and its files beneath it (see swagger_ui.hpp); `routes(...)`
/// takes the two routes as one.
template <fixed_string Path>
[[nodiscard]] auto swagger_ui(swagger_ui_settings settings = {}) {
  static_assert(Path.view().size() > 1 && Path.view().back() != '/',
                "asyncrest: swagger_ui<\"/docs\">: the path must name the page, without a trailing '/'");
  auto state = std::make_shared<detail::swagger_ui_state>();
  state->page = detail::swagger_ui_page(Path.view(), settings);
  state->settings = std::move(settings);
  std::shared_ptr<const detail::swagger_ui_state> shared = std::move(state);
  auto page = get<Path>(detail::swagger_ui_page_handler{shared});
  auto files = get<detail::swagger_ui_files_path<Path>()>(detail::swagger_ui_file_handler{shared});
  return route_group<decltype(page), decltype(files)>(std::move(page), std::move(files));
}

}  // namespace asyncrest
