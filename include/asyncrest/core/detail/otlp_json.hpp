// Spans in OTLP's JSON encoding (the body of `POST /v1/traces`), as OpenTelemetry's own
// exporters write it: ids as lowercase hex strings (the JSON mapping's exception to base64),
// 64-bit integers (times, intValue) as decimal strings, enums as their numbers.
#pragma once

#include <asyncrest/core/detail/json_escape.hpp>
#include <asyncrest/core/detail/span_record.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace asyncrest::detail {

/// What every batch says about where its spans come from.
struct otlp_origin {
  std::string service_name;
  std::string scope_name;
  std::string scope_version;
};

inline void append_otlp_decimal_string(std::string& out, std::uint64_t number) {
  out.push_back('"');
  append_json_integer(out, number);
  out.push_back('"');
}

inline void append_otlp_attribute(std::string& out, const span_attribute& attribute) {
  using namespace std::string_view_literals;
  out.append("{\"key\":"sv);
  append_json_string(out, attribute.key);
  out.append(",\"value\":{"sv);
  if (const auto* text = std::get_if<std::string>(&attribute.value)) {
    out.append("\"stringValue\":"sv);
    append_json_string(out, *text);
  } else if (const auto* integer = std::get_if<std::int64_t>(&attribute.value)) {
    out.append("\"intValue\":\""sv);
    append_json_integer(out, *integer);
    out.push_back('"');
  } else if (const auto* flag = std::get_if<bool>(&attribute.value)) {
    out.append("\"boolValue\":"sv);
    out.append(*flag ? "true" : "false");
  } else {
    out.append("\"doubleValue\":"sv);
    append_json_double(out, std::get<double>(attribute.value));
  }
  out.append("}}"sv);
}

inline void append_otlp_span(std::string& out, const span_record& span) {
  using namespace std::string_view_literals;
  out.append("{\"traceId\":"sv);
  append_json_string(out, span.trace_id);
  out.append(",\"spanId\":"sv);
  append_json_string(out, span.span_id);
  if (!span.tracestate.empty()) {
    out.append(",\"traceState\":"sv);
    append_json_string(out, span.tracestate);
  }
  if (!span.parent_span_id.empty()) {
    out.append(",\"parentSpanId\":"sv);
    append_json_string(out, span.parent_span_id);
  }
  out.append(",\"name\":"sv);
  append_json_string(out, span.name);
  out.append(",\"kind\":"sv);
  append_json_integer(out, static_cast<int>(span.kind));
  out.append(",\"startTimeUnixNano\":"sv);
  append_otlp_decimal_string(out, span.start_unix_nano);
  out.append(",\"endTimeUnixNano\":"sv);
  append_otlp_decimal_string(out, span.end_unix_nano);
  out.append(",\"attributes\":["sv);
  for (std::size_t index = 0; index < span.attributes.size(); ++index) {
    if (index != 0) out.push_back(',');
    append_otlp_attribute(out, span.attributes[index]);
  }
  out.append("],\"droppedAttributesCount\":0,\"events\":[],\"droppedEventsCount\":0,\"status\":{\"code\":"sv);
  append_json_integer(out, static_cast<int>(span.status));
  out.append("},\"links\":[],\"droppedLinksCount\":0,\"flags\":"sv);
  std::uint32_t flags = span.trace_flags | otlp_flags_has_is_remote;
  if (span.parent_is_remote) flags |= otlp_flags_is_remote;
  append_json_integer(out, flags);
  out.push_back('}');
}

/// An ExportTraceServiceRequest holding `spans`: one resource, one instrumentation scope.
inline void append_otlp_trace_request(std::string& out, const otlp_origin& origin, std::span<const span_record> spans) {
  using namespace std::string_view_literals;
  out.append("{\"resourceSpans\":[{\"resource\":{\"attributes\":["sv);
  append_otlp_attribute(out, span_attribute{"service.name", origin.service_name});
  out.append("],\"droppedAttributesCount\":0},\"scopeSpans\":[{\"scope\":{\"name\":"sv);
  append_json_string(out, origin.scope_name);
  out.append(",\"version\":"sv);
  append_json_string(out, origin.scope_version);
  out.append("},\"spans\":["sv);
  for (std::size_t index = 0; index < spans.size(); ++index) {
    if (index != 0) out.push_back(',');
    append_otlp_span(out, spans[index]);
  }
  out.append("]}]}]}"sv);
}

}  // namespace asyncrest::detail
