// Static files: a folder served beneath a path prefix, next to the app's other routes.
//
//     auto routes = ar::routes(
//         ar::get<"/api/items">(list_items),
//         ar::static_files<"/static">("/srv/site", {.max_age = std::chrono::hours(1), .precompressed = true}));
//
// `GET /static/css/site.css` sends /srv/site/css/site.css with sendfile(2); `GET /static/docs/`
// sends docs/index.html; `GET /static/docs` redirects (301) to `/static/docs/`, as nginx does.
// HEAD is answered as GET without the body; other methods get 405 with `Allow: GET, HEAD`.
//
// Safe by default:
// - The path is decoded once, segment by segment, and refused (400) when a segment is empty
//   (`//etc/passwd`), "." or "..", holds '/' or '\' (encoded or not), NUL or another control
//   character, or is not valid UTF-8 (an overlong "%c0%ae"). What is left is opened beneath the
//   root with openat2(RESOLVE_BENEATH), or, on kernels before 5.6, one component at a time with
//   O_NOFOLLOW: a symlink that leads out of the root is not followed (404), nor, on those older
//   kernels, any symlink. `follow_symlinks_out_of_root` allows links anywhere.
// - Hidden files and folders (a name that starts with '.') are not found unless allowed.
// - The query never affects which file is sent.
//
// HTTP done properly (RFC 9110):
// - A strong ETag from the file's inode, size and modification time (to the nanosecond) and
//   Last-Modified; If-None-Match and If-Modified-Since answer 304, If-Match and
//   If-Unmodified-Since 412, evaluated in the RFC's order (conditional.hpp does the same for
//   other responses).
// - Ranges: `Accept-Ranges: bytes`; one range gives 206 with Content-Range (`0-99`, `-100`,
//   `100-`); several give multipart/byteranges, with overlapping and touching ranges merged;
//   none within the file gives 416 with `Content-Range: bytes */length`. A Range field that does
//   not parse, or asks for more than `max_ranges` ranges, is ignored (200, the whole file), and
//   so is one whose If-Range names another version.
// - With `precompressed`, a sibling `app.js.br` or `app.js.gz` is sent instead of `app.js` when
//   the client's Accept-Encoding takes it (`q=0` refuses), with Content-Encoding, the original's
//   Content-Type, its own ETag, and `Vary: Accept-Encoding` on every answer of the mount.
// - Content-Type from the extension (a built-in table of the common web types; `media_types`
//   comes first), and `X-Content-Type-Options: nosniff`.
#pragma once

#include <asyncrest/core/method.hpp>
#include <asyncrest/server/detail/open_beneath.hpp>
#include <asyncrest/server/detail/route_prefix.hpp>
#include <asyncrest/server/detail/static_file_handler.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace asyncrest {

/// How a folder is served (see static_files.hpp).
struct static_file_settings {
  /// Sent for a folder's URL (which ends with '/'); empty: folders are not found.
  std::string index_file = "index.html";
  /// Cache-Control's max-age; none: no Cache-Control unless `no_cache`.
  std::optional<std::chrono::seconds> max_age{};
  /// Adds `immutable` to max-age: for files whose name changes with their content (app.3f2a.js).
  bool immutable = false;
  /// `Cache-Control: no-cache`: caches keep the file but ask each time (a cheap 304).
  bool no_cache = false;
  /// Serve names that start with '.' (`.well-known/` needs it).
  bool allow_hidden_files = false;
  /// Follow symlinks that lead out of the root (a deployment that links shared assets in).
  bool follow_symlinks_out_of_root = false;
  /// Send `name.br` or `name.gz` when it exists and the client accepts it.
  bool precompressed = false;
  /// A Range field with more ranges than this is ignored (the whole file is sent).
  std::size_t max_ranges = 16;
  /// Content types by extension ("wasm" or ".wasm", "application/wasm"), before the built-in ones.
  std::vector<std::pair<std::string, std::string>> media_types{};
};

namespace detail {
inline std::shared_ptr<const static_mount> make_static_mount(const std::filesystem::path& root,
                                                             static_file_settings settings) {
  auto mount = std::make_shared<static_mount>();
  mount->root = file_descriptor(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!mount->root) {
    throw std::system_error(errno, std::generic_category(),
                            "asyncrest::static_files: cannot open the folder " + root.string());
  }
  if (settings.index_file.find('/') != std::string::npos || settings.index_file == "." || settings.index_file == "..") {
    throw std::invalid_argument("asyncrest::static_files: index_file must be a plain file name, such as index.html");
  }
  if (settings.no_cache) {
    mount->cache_control = "no-cache";
  } else if (settings.max_age) {
    mount->cache_control = "public, max-age=" + std::to_string(std::max<std::int64_t>(0, settings.max_age->count()));
    if (settings.immutable) mount->cache_control += ", immutable";
  }
  mount->index_file = std::move(settings.index_file);
  mount->allow_hidden_files = settings.allow_hidden_files;
  mount->follow_symlinks_out_of_root = settings.follow_symlinks_out_of_root;
  mount->precompressed = settings.precompressed;
  mount->max_ranges = settings.max_ranges;
  mount->media_types = std::move(settings.media_types);
  return mount;
}
}  // namespace detail

/// The routes that serve the folder `root` beneath `Prefix` ("/static": no trailing '/', no
/// parameters): give them to `routes(...)` beside the others. Throws std::system_error when
/// `root` is not a folder that can be opened.
template <fixed_string Prefix>
[[nodiscard]] auto static_files(const std::filesystem::path& root, static_file_settings settings = {}) {
  static_assert(detail::is_plain_prefix<Prefix>(),
                "asyncrest::static_files<\"/prefix\">: the prefix starts with '/', does not end with one, and "
                "holds no {parameter}, such as \"/static\" or \"/assets/v1\"");
  constexpr std::size_t prefix_length = Prefix.view().size();
  std::shared_ptr<const detail::static_mount> mount = detail::make_static_mount(root, std::move(settings));
  return route_group(
      get<Prefix>(detail::static_folder_redirect{std::string(Prefix.view()) + "/"}),
      get<detail::join_paths<Prefix, "/{path:path}">()>(detail::static_file_handler<prefix_length>{std::move(mount)}));
}

}  // namespace asyncrest
