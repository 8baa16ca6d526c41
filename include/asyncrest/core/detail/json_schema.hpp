// JSON Schema (2020-12, as OpenAPI 3.1 uses it) of the types typed JSON reads and writes, made
// from the same member description (json_members.hpp), so a schema says what reading accepts:
// structs by reference to a named schema, optional members not required, vectors as arrays,
// maps as objects, enums as their names, time points as date-time strings, tagged variants as
// oneOf with a discriminator, and each member's json_fields rules as keywords.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/detail/type_name.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/core/reflection.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace asyncrest::detail {

/// `value` as JSON text.
template <class Value>
[[nodiscard]] std::string json_text(const Value& value) {
  std::string text;
  json_writer out{text};
  out.value(value);
  return text;
}

/// A JSON object whose members are kept as JSON text, in the order first set: a later `set` of a
/// key replaces its value, so a member's rules can narrow what its type said (a minimum, say).
class json_object_text {
 public:
  void set(std::string_view key, std::string value) {
    for (auto& [name, text] : members_) {
      if (name == key) {
        text = std::move(value);
        return;
      }
    }
    members_.emplace_back(std::string(key), std::move(value));
  }
  [[nodiscard]] bool contains(std::string_view key) const noexcept {
    for (const auto& member : members_) {
      if (member.first == key) return true;
    }
    return false;
  }
  [[nodiscard]] std::string text() const {
    std::string out;
    json_writer writer{out};
    writer.begin_object();
    for (const auto& [name, value] : members_) {
      writer.key(name);
      writer.raw(value);
    }
    writer.end_object();
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

template <class Type>
inline constexpr char schema_type_key = 0;

/// The named schemas a document refers to (`#/components/schemas/<name>`), each made once.
class schema_components {
 public:
  explicit schema_components(std::string reference_prefix = "#/components/schemas/")
      : reference_prefix_(std::move(reference_prefix)) {}

  /// The reference ("#/components/schemas/todo") to `Type`'s schema, made (with the schemas it
  /// refers to) on first use.
  template <class Type>
  [[nodiscard]] std::string reference_to();

  /// Keeps `schema` under `name` for the type whose key is `type` (a library type such as the
  /// problem body), unless it is kept already; returns the reference to it.
  [[nodiscard]] std::string reference_to_named(const void* type, std::string_view name, std::string schema) {
    std::size_t at = 0;
    if (!claim(type, name, at)) components_[at].schema = std::move(schema);
    return reference_prefix_ + components_[at].name;
  }

  /// Writes each schema, in the order made, as the members of an object.
  void write(json_writer& out) const {
    out.begin_object();
    for (const component& each : components_) {
      out.key(each.name);
      out.raw(each.schema);
    }
    out.end_object();
  }

  [[nodiscard]] bool empty() const noexcept { return components_.empty(); }

 private:
  struct component {
    const void* type;
    std::string name;
    std::string schema;
  };

  // Whether the type already has its place (found at `at`); otherwise one is made for it.
  bool claim(const void* type, std::string_view name, std::size_t& at) {
    for (at = 0; at < components_.size(); ++at) {
      if (components_[at].type == type) return true;
      if (components_[at].name == name) {
        throw std::logic_error("asyncrest: two types are both named \"" + std::string(name) +
                               "\" among the document's schemas; specialize asyncrest::json_schema_name for one "
                               "of them to give it another name");
      }
    }
    components_.push_back({type, std::string(name), "{}"});
    return false;
  }

  std::string reference_prefix_;
  std::vector<component> components_;
};

/// The name of a struct's schema: json_schema_name<T>::name, or the type's name without
/// namespaces.
template <class Type>
[[nodiscard]] std::string schema_name_of() {
  if constexpr (requires { json_schema_name<Type>::name; }) {
    return std::string(json_schema_name<Type>::name);
  } else {
    return readable_type_name(type_name<Type>());
  }
}

template <class Type>
json_object_text schema_of(schema_components& components);
template <class Member>
json_object_text member_schema(schema_components& components);

/// `{"$ref": reference}`.
[[nodiscard]] inline json_object_text referring_to(const std::string& reference) {
  json_object_text schema;
  schema.set("$ref", json_text(reference));
  return schema;
}

template <class Integer>
void describe_integer(json_object_text& schema) {
  schema.set("type", json_text("integer"));
  using limits = std::numeric_limits<Integer>;
  if constexpr (std::is_signed_v<Integer> && sizeof(Integer) == 4) {
    schema.set("format", json_text("int32"));
  } else if constexpr (std::is_signed_v<Integer> && sizeof(Integer) == 8) {
    schema.set("format", json_text("int64"));
  } else {
    schema.set("minimum", json_text(limits::min()));
    if constexpr (sizeof(Integer) < 8) schema.set("maximum", json_text(limits::max()));
  }
}

/// The schema of a struct's members: its properties and the ones required.
template <class Aggregate>
[[nodiscard]] std::string struct_schema(schema_components& components) {
  json_object_text schema;
  schema.set("type", json_text("object"));
  std::string properties;
  json_writer property_writer{properties};
  property_writer.begin_object();
  std::string required;
  json_writer required_writer{required};
  required_writer.begin_array();
  bool any_required = false;
  visit_json_members<Aggregate>([&]<class Member>(Member) {
    property_writer.key(Member::name);
    property_writer.raw(member_schema<Member>(components).text());
    if constexpr (Member::required) {
      required_writer.value(Member::name);
      any_required = true;
    }
  });
  property_writer.end_object();
  required_writer.end_array();
  if constexpr (member_count < Aggregate >> 0) schema.set("properties", std::move(properties));
  if (any_required) schema.set("required", std::move(required));
  return schema.text();
}

template <class Type>
std::string schema_components::reference_to() {
  std::size_t at = 0;
  if (!claim(&schema_type_key<Type>, schema_name_of<Type>(), at)) {
    // Made after its place is claimed, so a struct that holds itself (a tree's children) refers
    // to the place instead of recursing.
    std::string schema = struct_schema<Type>(*this);
    components_[at].schema = std::move(schema);
  }
  return reference_prefix_ + components_[at].name;
}

/// `[element]`, a JSON array of one element's text. (Appended, not `"[" + text + "]"`: g++ 12 at
/// -O3 warns, wrongly, that such a concatenation's copy overlaps.)
inline std::string json_array_of(std::string_view element) {
  std::string array;
  array.reserve(element.size() + 2);
  array.push_back('[');
  array.append(element);
  array.push_back(']');
  return array;
}

/// oneOf the alternatives, each its struct's schema with the tag member required to hold its
/// value, and a discriminator naming the tag member.
template <class Variant, std::size_t... Index>
void describe_tagged_variant(json_object_text& schema, schema_components& components, std::index_sequence<Index...>) {
  using tags = json_variant_tags<Variant>;
  std::string alternatives;
  json_writer out{alternatives};
  out.begin_array();
  const auto alternative = [&]<class Alternative>(std::string_view tag, std::type_identity<Alternative>) {
    json_object_text tag_schema;
    tag_schema.set("type", json_text("string"));
    tag_schema.set("const", json_text(tag));
    std::string properties;
    json_writer property_writer{properties};
    property_writer.begin_object();
    property_writer.key(tags::key);
    property_writer.raw(tag_schema.text());
    property_writer.end_object();
    json_object_text entry;
    entry.set("type", json_text("object"));
    entry.set("properties", std::move(properties));
    entry.set("required", json_array_of(json_text(tags::key)));
    entry.set("allOf", json_array_of(referring_to(components.reference_to<Alternative>()).text()));
    out.raw(entry.text());
  };
  (alternative(tags::values[Index], std::type_identity<std::variant_alternative_t<Index, Variant>>{}), ...);
  out.end_array();
  schema.set("oneOf", std::move(alternatives));
  json_object_text discriminator;
  discriminator.set("propertyName", json_text(tags::key));
  schema.set("discriminator", discriminator.text());
}

/// The schema of a type: what reading accepts of it.
template <class Type>
json_object_text schema_of(schema_components& components) {
  json_object_text schema;
  if constexpr (std::is_same_v<Type, bool>) {
    schema.set("type", json_text("boolean"));
  } else if constexpr (json_integer<Type>) {
    describe_integer<Type>(schema);
  } else if constexpr (std::is_floating_point_v<Type>) {
    schema.set("type", json_text("number"));
    schema.set("format", json_text(sizeof(Type) == sizeof(float) ? "float" : "double"));
  } else if constexpr (std::is_same_v<Type, std::string> || std::is_same_v<Type, std::string_view>) {
    schema.set("type", json_text("string"));
  } else if constexpr (std::is_enum_v<Type>) {
    schema.set("type", json_text("string"));
    std::string names;
    json_writer out{names};
    out.begin_array();
    for (const std::string_view name : enum_names<Type>()) out.value(name);
    out.end_array();
    schema.set("enum", std::move(names));
  } else if constexpr (is_optional<Type>::value) {
    return schema_of<typename Type::value_type>(components);
  } else if constexpr (is_json_vector<Type>::value) {
    schema.set("type", json_text("array"));
    schema.set("items", schema_of<typename Type::value_type>(components).text());
  } else if constexpr (is_json_map<Type>::value) {
    schema.set("type", json_text("object"));
    schema.set("additionalProperties", schema_of<typename Type::mapped_type>(components).text());
  } else if constexpr (is_json_time<Type>::value) {
    schema.set("type", json_text("string"));
    schema.set("format", json_text("date-time"));
  } else if constexpr (std::is_same_v<Type, json_value>) {
    // Any JSON: the empty schema.
  } else if constexpr (is_std_variant<Type>::value) {
    if constexpr (!tagged_variant<Type>) {
      [[maybe_unused]] untagged_variant<Type> refused;
    } else {
      static_assert(std::size(json_variant_tags<Type>::values) == std::variant_size_v<Type>,
                    "json_variant_tags<V>::values must hold one tag per alternative of V, in order");
      describe_tagged_variant<Type>(schema, components, std::make_index_sequence<std::variant_size_v<Type>>{});
    }
  } else if constexpr (json_struct<Type>) {
    return referring_to(components.reference_to<Type>());
  } else {
    [[maybe_unused]] unsupported_json_type<Type> refused;
  }
  return schema;
}

/// The schema of a struct member: its type's, narrowed by the member's json_fields rules.
template <class Member>
json_object_text member_schema(schema_components& components) {
  using type = typename Member::type;
  using value_type = typename std::conditional_t<is_optional<type>::value, type, std::optional<type>>::value_type;
  json_object_text schema = schema_of<type>(components);
  constexpr auto rules = Member::rules;
  if constexpr (rules.minimum.has_value()) schema.set("minimum", json_text(*rules.minimum));
  if constexpr (rules.maximum.has_value()) schema.set("maximum", json_text(*rules.maximum));
  if constexpr (rules.length.limited()) {
    constexpr bool is_text = std::is_same_v<value_type, std::string>;
    constexpr bool is_map = is_json_map<value_type>::value;
    const std::string_view least = is_text ? "minLength" : is_map ? "minProperties" : "minItems";
    const std::string_view most = is_text ? "maxLength" : is_map ? "maxProperties" : "maxItems";
    if (rules.length.minimum != 0) schema.set(least, json_text(rules.length.minimum));
    if (rules.length.maximum != std::numeric_limits<std::size_t>::max()) {
      schema.set(most, json_text(rules.length.maximum));
    }
  }
  if constexpr (!rules.pattern.empty()) schema.set("pattern", json_text(rules.pattern));
  if constexpr (!rules.one_of.empty()) {
    std::string values;
    json_writer out{values};
    out.begin_array();
    for (std::size_t index = 0; index < rules.one_of.size(); ++index) {
      if (rules.one_of.holds_texts()) {
        out.value(rules.one_of.text(index));
      } else {
        out.value(rules.one_of.number(index));
      }
    }
    out.end_array();
    schema.set("enum", std::move(values));
  }
  return schema;
}

}  // namespace asyncrest::detail
