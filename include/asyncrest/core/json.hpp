// Writing JSON: a streaming writer for speed and a small value type for convenience.
// Reading JSON is simdjson's job (see request::json()).
#pragma once

#include <asyncrest/core/detail/json_escape.hpp>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace asyncrest {

/// Appends JSON to a string as it is called, with commas placed for you:
///
///     json_writer out{body};
///     out.begin_object();
///     out.key("id");   out.value(42);
///     out.key("tags"); out.begin_array(); out.value("a"); out.end_array();
///     out.end_object();
///
/// Every string is escaped so that the output is pure ASCII: control characters, quotes,
/// backslashes and every non-ASCII character (as \uXXXX, invalid UTF-8 as U+FFFD).
class json_writer {
 public:
  explicit json_writer(std::string& out) noexcept : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  /// An object member's name; the next call writes its value.
  void key(std::string_view name) {
    separate();
    detail::append_json_string(out_, name);
    out_.push_back(':');
    after_key_ = true;
  }

  void value(std::string_view text) {
    separate();
    detail::append_json_string(out_, text);
  }
  void value(const char* text) { value(std::string_view(text)); }
  void value(const std::string& text) { value(std::string_view(text)); }
  void value(bool flag) {
    separate();
    out_.append(flag ? "true" : "false");
  }
  void value(std::nullptr_t) {
    separate();
    out_.append("null");
  }
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>) void value(Integer number) {
    separate();
    detail::append_json_integer(out_, number);
  }
  template <std::floating_point Floating>
  void value(Floating number) {
    separate();
    detail::append_json_double(out_, static_cast<double>(number));
  }
  /// Writes `json` as it is: it must already be valid JSON (from another serializer, say).
  void raw(std::string_view json) {
    separate();
    out_.append(json);
  }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
    } else if (need_comma_) {
      out_.push_back(',');
    }
    need_comma_ = true;
  }
  void open(char bracket) {
    separate();
    out_.push_back(bracket);
    need_comma_ = false;
  }
  void close(char bracket) {
    out_.push_back(bracket);
    need_comma_ = true;
  }

  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

namespace detail {
/// Writes name/value pairs, each a name and a `json_value`, as one object.
template <class Members>
void write_json_object(json_writer& out, const Members& members) {
  out.begin_object();
  for (const auto& [name, member] : members) {
    out.key(name);
    member.write(out);
  }
  out.end_object();
}
}  // namespace detail

/// A JSON document built in code, for responses:
///
///     json_value user{{"id", 7}, {"name", "Ada"}, {"tags", json_value::array({"admin"})}};
///
/// A braced list whose items are all two-item lists starting with a string is an object; any
/// other list is an array. `json_value::array` and `json_value::object` say which explicitly.
class json_value {
 public:
  using array_type = std::vector<json_value>;
  using object_type = std::vector<std::pair<std::string, json_value>>;

  json_value() noexcept : value_(nullptr) {}
  json_value(std::nullptr_t) noexcept : value_(nullptr) {}
  json_value(bool flag) noexcept : value_(flag) {}
  template <std::signed_integral Integer>
  requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>) json_value(Integer number)
  noexcept : value_(static_cast<std::int64_t>(number)) {}
  template <std::unsigned_integral Integer>
  requires(!std::same_as<Integer, bool> && !std::same_as<Integer, char>) json_value(Integer number)
  noexcept : value_(static_cast<std::uint64_t>(number)) {}
  template <std::floating_point Floating>
  json_value(Floating number) noexcept : value_(static_cast<double>(number)) {}
  json_value(const char* text) : value_(std::string(text)) {}
  json_value(std::string_view text) : value_(std::string(text)) {}
  json_value(std::string text) noexcept : value_(std::move(text)) {}
  json_value(array_type items) noexcept : value_(std::move(items)) {}
  json_value(object_type members) noexcept : value_(std::move(members)) {}
  json_value(std::initializer_list<json_value> items) : value_(nullptr) {
    if (looks_like_object(items)) {
      object_type members;
      members.reserve(items.size());
      for (const json_value& item : items) {
        const auto& pair = std::get<array_type>(item.value_);
        members.emplace_back(std::get<std::string>(pair[0].value_), pair[1]);
      }
      value_ = std::move(members);
    } else {
      value_ = array_type(items);
    }
  }

  /// An array, even when its items look like object members.
  [[nodiscard]] static json_value array(std::initializer_list<json_value> items = {}) {
    return json_value(array_type(items));
  }
  /// An object from name/value pairs.
  [[nodiscard]] static json_value object(std::initializer_list<std::pair<std::string, json_value>> members = {}) {
    return json_value(object_type(members));
  }

  [[nodiscard]] bool is_null() const noexcept { return std::holds_alternative<std::nullptr_t>(value_); }
  [[nodiscard]] bool is_array() const noexcept { return std::holds_alternative<array_type>(value_); }
  [[nodiscard]] bool is_object() const noexcept { return std::holds_alternative<object_type>(value_); }

  /// Appends a member (this must be an object or null, which becomes an object).
  json_value& set(std::string name, json_value member) {
    if (is_null()) value_ = object_type{};
    std::get<object_type>(value_).emplace_back(std::move(name), std::move(member));
    return *this;
  }
  /// Appends an item (this must be an array or null, which becomes an array).
  json_value& push_back(json_value item) {
    if (is_null()) value_ = array_type{};
    std::get<array_type>(value_).push_back(std::move(item));
    return *this;
  }

  /// Writes this value through `out`.
  void write(json_writer& out) const {
    std::visit(
        [&out](const auto& held) {
          using held_type = std::decay_t<decltype(held)>;
          if constexpr (std::same_as<held_type, array_type>) {
            out.begin_array();
            for (const json_value& item : held) item.write(out);
            out.end_array();
          } else if constexpr (std::same_as<held_type, object_type>) {
            detail::write_json_object(out, held);
          } else {
            out.value(held);
          }
        },
        value_);
  }

  /// This value as compact JSON text.
  [[nodiscard]] std::string dump() const {
    std::string text;
    json_writer out{text};
    write(out);
    return text;
  }

 private:
  static bool looks_like_object(std::initializer_list<json_value> items) noexcept {
    if (items.size() == 0) return false;
    for (const json_value& item : items) {
      const auto* pair = std::get_if<array_type>(&item.value_);
      if (pair == nullptr || pair->size() != 2 || !std::holds_alternative<std::string>((*pair)[0].value_)) {
        return false;
      }
    }
    return true;
  }

  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, array_type, object_type> value_;
};

/// One `name: value` member of an object that is written once and not kept, as in
/// `json({{"id", 7}, {"name", "Ada"}})`. Unlike a `json_value` object, a braced list of members
/// allocates nothing of its own: the name is only viewed, so it must outlive the call it is
/// written in, which a temporary in that call does.
struct json_member {
  // A constructor, not an aggregate, so that `{"name"}` alone is no member.
  json_member(std::string_view member_name, json_value member_value) noexcept
      : name(member_name), value(std::move(member_value)) {}

  std::string_view name;
  json_value value;
};

}  // namespace asyncrest
