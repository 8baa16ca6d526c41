// The handlers behind static_files<"/prefix">(root): a file chosen safely beneath the root,
// its validators, the request's preconditions and ranges, and a precompressed sibling.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/byte_ranges.hpp>
#include <asyncrest/http/detail/conditional_request.hpp>
#include <asyncrest/http/detail/http_date.hpp>
#include <asyncrest/server/detail/body_source_access.hpp>
#include <asyncrest/server/detail/body_states.hpp>
#include <asyncrest/server/detail/byte_ranges_body.hpp>
#include <asyncrest/server/detail/media_types.hpp>
#include <asyncrest/server/detail/open_beneath.hpp>
#include <asyncrest/server/detail/precompressed.hpp>
#include <asyncrest/server/detail/static_path.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// What a mount needs, once its settings are read: shared by its routes' handlers.
struct static_mount {
  file_descriptor root;  // the folder, opened with O_PATH: names are looked up beneath it
  std::string index_file;
  std::string cache_control;  // empty: no Cache-Control field
  bool allow_hidden_files = false;
  bool follow_symlinks_out_of_root = false;
  bool precompressed = false;
  std::size_t max_ranges = 0;
  std::vector<std::pair<std::string, std::string>> media_types;
};

/// A strong entity tag from what changes when the file does: its inode, its size and its
/// modification time to the nanosecond. Two versions written within a second differ.
[[nodiscard]] inline std::string file_entity_tag(const struct stat& facts) {
  char text[80];
  const int written = std::snprintf(
      text, sizeof text, "\"%llx-%llx-%llx.%lx\"", static_cast<unsigned long long>(facts.st_ino),
      static_cast<unsigned long long>(facts.st_size), static_cast<unsigned long long>(facts.st_mtim.tv_sec),
      static_cast<unsigned long>(facts.st_mtim.tv_nsec));
  return std::string(text, written > 0 ? static_cast<std::size_t>(written) : 0);
}

/// A file opened beneath the mount, with what fstat said about it.
struct opened_file {
  file_descriptor descriptor;
  struct stat facts {};
};

/// Opens `relative` beneath the mount's root. Nothing when it does not exist, cannot be reached
/// without leaving the root, or cannot be read; `denied` tells the last apart.
[[nodiscard]] inline std::optional<opened_file> open_static_file(const static_mount& mount, const std::string& relative,
                                                                 bool& denied) {
  opened_file file;
  file.descriptor = open_beneath(mount.root.get(), relative, mount.follow_symlinks_out_of_root);
  if (!file.descriptor) {
    denied = errno == EACCES;
    return std::nullopt;
  }
  if (::fstat(file.descriptor.get(), &file.facts) != 0) return std::nullopt;
  return file;
}

/// The handler of the mount's own path ("/static"): the folder, named without its '/'.
struct static_folder_redirect {
  std::string location;
  response operator()(request& req) const {
    std::string target = location;
    if (!req.query_string().empty()) target.append("?").append(req.query_string());
    return redirect(target, status::moved_permanently);
  }
};

/// The handler of everything beneath the mount's path.
template <std::size_t PrefixLength>
struct static_file_handler {
  std::shared_ptr<const static_mount> mount;

  // The decoded path parameter is not used: the raw path is decoded here, once, by rules that
  // keep encoded separators apart from real ones.
  response operator()(request& req, std::string_view) const { return serve(req, req.raw_path().substr(PrefixLength)); }

  [[nodiscard]] response serve(const request& req, std::string_view raw_rest) const {
    static_path path = resolve_static_path(raw_rest, mount->allow_hidden_files);
    if (path.result == static_path::verdict::bad_request) return problem(status::bad_request, path.reason);
    if (path.result == static_path::verdict::not_found) return not_found();
    bool denied = false;
    std::optional<opened_file> file = open_static_file(*mount, path.relative, denied);
    if (!file) return denied ? problem(status::forbidden, "the file cannot be read") : not_found();
    if (S_ISDIR(file->facts.st_mode)) {
      if (path.result == static_path::verdict::file) {  // as nginx does: the folder's own URL ends with '/'
        std::string location(req.raw_path());
        location.push_back('/');
        if (!req.query_string().empty()) location.append("?").append(req.query_string());
        return redirect(location, status::moved_permanently);
      }
      if (mount->index_file.empty()) return not_found();
      if (!path.relative.empty()) path.relative.push_back('/');
      path.relative.append(mount->index_file);
      file = open_static_file(*mount, path.relative, denied);
      if (!file) return denied ? problem(status::forbidden, "the file cannot be read") : not_found();
    } else if (path.result == static_path::verdict::folder) {
      return not_found();  // "/static/app.js/" names no folder
    }
    if (!S_ISREG(file->facts.st_mode)) return not_found();
    return respond_with(req, std::move(*file), path.relative);
  }

 private:
  static response not_found() { return problem(status::not_found, "no such file"); }

  [[nodiscard]] response respond_with(const request& req, opened_file file, const std::string& relative) const {
    const std::string_view content_type = media_type_for(relative, mount->media_types);
    std::string_view coding;
    if (mount->precompressed) {
      const std::optional<std::string_view> accepted = req.header("Accept-Encoding");
      if (accepted) {
        for (const int index : codings_to_try(*accepted)) {
          if (index < 0) break;
          bool denied = false;
          std::optional<opened_file> sibling =
              open_static_file(*mount, relative + std::string(precompressed_codings[index].suffix), denied);
          if (sibling && S_ISREG(sibling->facts.st_mode)) {
            file = std::move(*sibling);
            coding = precompressed_codings[index].name;
            break;
          }
        }
      }
    }

    const std::string tag = file_entity_tag(file.facts);
    char modified[32];
    const std::size_t modified_length = format_http_date(file.facts.st_mtim.tv_sec, modified);
    validators current;
    current.tag = parse_entity_tag(tag);
    current.last_modified = static_cast<std::int64_t>(file.facts.st_mtim.tv_sec);
    current.last_modified_is_strong = file.facts.st_mtim.tv_sec < std::time(nullptr);

    response answer;
    const auto add_validators = [&](response& out) {
      out.headers.set("ETag", tag);
      out.headers.set("Last-Modified", std::string_view(modified, modified_length));
      if (!mount->cache_control.empty()) out.headers.set("Cache-Control", mount->cache_control);
      if (mount->precompressed) out.headers.set("Vary", "Accept-Encoding");
    };
    switch (evaluate_preconditions(req.method(), req.headers(), current)) {
      case precondition_outcome::not_modified:
        answer = empty(status::not_modified);
        add_validators(answer);
        return answer;
      case precondition_outcome::precondition_failed:
        return problem(status::precondition_failed, "the file does not match the request's preconditions");
      case precondition_outcome::proceed: break;
    }

    const auto length = static_cast<std::uint64_t>(file.facts.st_size);
    range_request ranges;
    if (req.method() == method::get) {
      if (const auto range_field = req.header("Range"); range_field && if_range_holds(req.headers(), current)) {
        ranges = parse_range_field(*range_field, length, mount->max_ranges);
      }
    }
    if (ranges.result == range_request::outcome::unsatisfiable) {
      answer = problem(status::range_not_satisfiable, "no range of the request lies within the file");
      answer.headers.set("Content-Range", "bytes */" + std::to_string(length));
      add_validators(answer);
      return answer;
    }
    if (ranges.result == range_request::outcome::partial && ranges.ranges.size() > 1) {
      answer = byte_ranges_response(std::move(file.descriptor), std::move(ranges.ranges), length, content_type);
    } else {
      std::uint64_t first = 0;
      std::uint64_t count = length;
      if (ranges.result == range_request::outcome::partial) {
        first = ranges.ranges.front().first;
        count = ranges.ranges.front().length();
        answer.status = status::partial_content;
        answer.headers.set("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(ranges.ranges.front().last) + "/" +
                                                std::to_string(length));
      }
      // Owned by the response once adopted: the descriptor is released only then.
      body_source_access::adopt(answer.source, new file_body_state(file.descriptor.get(), first, count));
      (void)file.descriptor.release();
      answer.headers.set("Content-Type", content_type);
    }
    add_validators(answer);
    answer.headers.set("Accept-Ranges", "bytes");
    if (!coding.empty()) answer.headers.set("Content-Encoding", coding);
    // A browser must not guess another type than the one given (a text file run as script).
    answer.headers.set("X-Content-Type-Options", "nosniff");
    return answer;
  }
};

}  // namespace asyncrest::detail
