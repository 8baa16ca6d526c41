// The definitions behind client/metrics.hpp: the families registered, the origins admitted,
// and what an observed client's reports add to this thread's cells. Included at the end of
// client/metrics.hpp.
#pragma once

#include <asyncrest/client/metrics.hpp>

#include <algorithm>
#include <iterator>
#include <utility>

namespace asyncrest {

inline client_metrics::client_metrics(metrics_registry& registry, client_metrics_settings settings)
    : requests_(registry.counter("asyncrest_client_requests_total",
                                 "HTTP client calls that ended with a response, by origin, method and status class.",
                                 {"origin", "method", "status_class"})),
      errors_(registry.counter("asyncrest_client_errors_total",
                               "HTTP client calls that ended without a response, by origin and kind of error.",
                               {"origin", "kind"})),
      durations_(registry.histogram("asyncrest_client_request_duration_seconds",
                                    "Time an HTTP client call took, retries and redirects included, in seconds.",
                                    {"origin"}, std::move(settings.duration_buckets))),
      connections_(registry.gauge("asyncrest_client_connections",
                                  "HTTP client connections open now, idle in the pool or busy.", {"origin", "state"})),
      max_origins_(settings.max_origins) {}

inline detail::client_series_table& client_metrics::local_table() const {
  return tables_.local([] { return std::make_shared<detail::client_series_table>(); });
}

inline std::string client_metrics::admit(std::string_view origin) {
  std::string label(origin);
  const std::lock_guard lock(mutex_);
  if (admitted_.contains(label)) return label;
  if (admitted_.size() < max_origins_) {
    admitted_.insert(label);
    return label;
  }
  return std::string(detail::other_origin);
}

inline detail::client_origin_series& client_metrics::series_of(detail::client_series_table& table,
                                                               std::string_view origin) {
  if (const auto found = table.origins.find(origin); found != table.origins.end()) return *found->second;
  const std::string label = admit(origin);
  auto by_label = table.labels.find(label);
  if (by_label == table.labels.end()) {
    auto made = std::make_unique<detail::client_origin_series>();
    made->label = label;
    by_label = table.labels.emplace(label, std::move(made)).first;
  }
  detail::client_origin_series* series = by_label->second.get();
  if (series->label == detail::other_origin) {
    if (table.others >= detail::remembered_other_origins) {
      std::erase_if(table.origins, [series](const auto& entry) { return entry.second == series; });
      table.others = 0;
    }
    ++table.others;
  }
  table.origins.emplace(std::string(origin), series);
  return *series;
}

inline void client_metrics::call_ended(void* target, const detail::parsed_url& url, method verb,
                                       const status* response_status, std::error_code failure,
                                       double seconds) noexcept {
  auto& self = *static_cast<client_metrics*>(target);
  try {
    detail::client_series_table& table = self.local_table();
    table.scratch.clear();
    detail::append_metric_origin(table.scratch, url);
    detail::client_origin_series& series = self.series_of(table, table.scratch);
    if (response_status != nullptr) {
      const unsigned status_class = std::clamp(to_number(*response_status) / 100, 1U, 5U) - 1;
      std::optional<counter>& slot =
          series.requests[static_cast<std::size_t>(verb) * detail::client_origin_series::status_classes + status_class];
      if (!slot)
        slot.emplace(self.requests_.with(series.label, to_string(verb), detail::status_class_name(status_class)));
      slot->inc();
    } else {
      const detail::client_error_kind kind = detail::error_kind(failure);
      std::optional<counter>& slot = series.errors[static_cast<std::size_t>(kind)];
      if (!slot) slot.emplace(self.errors_.with(series.label, to_string(kind)));
      slot->inc();
    }
    if (!series.duration) series.duration.emplace(self.durations_.with(series.label));
    series.duration->observe(seconds);
  } catch (...) {  // the registry is full, or memory ran out: the call matters more than its count
  }
}

inline void client_metrics::connections_changed(void* target, std::string_view origin, int idle_change,
                                                int busy_change) noexcept {
  auto& self = *static_cast<client_metrics*>(target);
  try {
    detail::client_origin_series& series = self.series_of(self.local_table(), origin);
    if (idle_change != 0) {
      if (!series.idle) series.idle.emplace(self.connections_.with(series.label, "idle"));
      series.idle->add(idle_change);
    }
    if (busy_change != 0) {
      if (!series.busy) series.busy.emplace(self.connections_.with(series.label, "busy"));
      series.busy->add(busy_change);
    }
  } catch (...) {  // as above
  }
}

inline void observe_client(client_metrics& metrics, client& http) {
  detail::client_observer watcher;
  watcher.target = &metrics;
  watcher.call_ended = &client_metrics::call_ended;
  watcher.connections_changed = &client_metrics::connections_changed;
  detail::client_access::state(http).observe(watcher);
}

}  // namespace asyncrest
