// The definitions behind server/metrics.hpp: the registry, its series and cells, the text a
// scrape reads, and the request middleware. Included at the end of metrics.hpp.
#pragma once

#include <asyncrest/server/metrics.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace asyncrest {
namespace detail {

struct metric_series {
  std::vector<std::string> label_values;
  std::uint32_t first_cell = 0;
};

struct metric_family {
  metric_kind kind = metric_kind::counter;
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> buckets;   // a histogram's upper bounds, without +Inf
  std::function<double()> read;  // set for a value another component keeps
  std::deque<metric_series> series;

  /// Cells per series: one, or a histogram's buckets, its +Inf bucket and its sum.
  [[nodiscard]] std::uint32_t cells_per_series() const noexcept {
    return kind == metric_kind::histogram ? static_cast<std::uint32_t>(buckets.size() + 2) : 1;
  }
};

[[nodiscard]] inline std::string_view metric_type_name(metric_kind kind) noexcept {
  switch (kind) {
    case metric_kind::counter:
      return "counter";
    case metric_kind::gauge:
      return "gauge";
    case metric_kind::histogram:
      return "histogram";
  }
  return "untyped";
}

/// `name{a="x",b="y"` and, when `extra_name` is set, `,le="0.5"`; then `}` (nothing for no labels).
inline void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                               const metric_family& family, const metric_series& series,
                               std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  if (family.label_names.empty() && extra_name.empty()) return;
  out += '{';
  for (std::size_t index = 0; index < family.label_names.size(); ++index) {
    if (index != 0) out += ',';
    out += family.label_names[index];
    out += "=\"";
    append_label_value(out, series.label_values[index]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!family.label_names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

[[nodiscard]] inline std::string_view status_class_name(unsigned index) noexcept {
  constexpr std::string_view names[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  return names[index];
}

}  // namespace detail

inline void counter::inc(std::uint64_t amount) const {
  detail::add_to_cell(registry_->local_shard().cell(cell_), amount);
}

inline void gauge::add(double amount) const {
  detail::add_to_real_cell(registry_->local_shard().cell(cell_), amount);
}

inline void histogram::observe(double value) const {
  detail::metric_shard& shard = registry_->local_shard();
  const auto& bounds = family_->buckets;
  // The first bucket whose upper bound holds the value ("le": less or equal); NaN lands in +Inf.
  const auto bucket = static_cast<std::uint32_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  detail::add_to_cell(shard.cell(cell_ + bucket), 1);
  detail::add_to_real_cell(shard.cell(cell_ + static_cast<std::uint32_t>(bounds.size()) + 1), value);
}

inline std::uint32_t counter_family::first_cell(std::vector<std::string_view> values) const {
  return registry_->series_cell(*family_, values);
}
inline std::uint32_t gauge_family::first_cell(std::vector<std::string_view> values) const {
  return registry_->series_cell(*family_, values);
}
inline std::uint32_t histogram_family::first_cell(std::vector<std::string_view> values) const {
  return registry_->series_cell(*family_, values);
}

inline metrics_registry::metrics_registry() : id_(detail::next_metric_registry_id.fetch_add(1)) {}

inline metrics_registry::~metrics_registry() = default;

inline counter_family metrics_registry::counter(std::string name, std::string help,
                                                std::vector<std::string> label_names) {
  return counter_family(this, &add_family(detail::metric_kind::counter, std::move(name), std::move(help),
                                          std::move(label_names), {}, {}));
}

inline gauge_family metrics_registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  return gauge_family(this, &add_family(detail::metric_kind::gauge, std::move(name), std::move(help),
                                        std::move(label_names), {}, {}));
}

inline histogram_family metrics_registry::histogram(std::string name, std::string help,
                                                    std::vector<std::string> label_names, std::vector<double> buckets) {
  return histogram_family(this, &add_family(detail::metric_kind::histogram, std::move(name), std::move(help),
                                            std::move(label_names), std::move(buckets), {}));
}

inline void metrics_registry::counter_function(std::string name, std::string help, std::function<double()> read) {
  if (!read) throw std::invalid_argument("asyncrest: metrics: counter_function needs a function to read");
  (void)add_family(detail::metric_kind::counter, std::move(name), std::move(help), {}, {}, std::move(read));
}

inline void metrics_registry::gauge_function(std::string name, std::string help, std::function<double()> read) {
  if (!read) throw std::invalid_argument("asyncrest: metrics: gauge_function needs a function to read");
  (void)add_family(detail::metric_kind::gauge, std::move(name), std::move(help), {}, {}, std::move(read));
}

inline detail::metric_family& metrics_registry::add_family(detail::metric_kind kind, std::string name,
                                                           std::string help, std::vector<std::string> label_names,
                                                           std::vector<double> buckets,
                                                           std::function<double()> read) {
  const std::string quoted = "\"" + name + "\"";
  if (!detail::is_metric_name(name)) {
    throw std::invalid_argument("asyncrest: metrics: " + quoted +
                                " is not a metric name: use letters, digits, '_' and ':', not starting with a digit");
  }
  if (kind == detail::metric_kind::counter && !name.ends_with("_total")) {
    throw std::invalid_argument("asyncrest: metrics: the counter " + quoted +
                                " must end in \"_total\", as Prometheus names counters");
  }
  if (kind == detail::metric_kind::histogram) {
    if (buckets.empty()) throw std::invalid_argument("asyncrest: metrics: the histogram " + quoted + " has no bucket");
    for (std::size_t index = 0; index < buckets.size(); ++index) {
      if (!std::isfinite(buckets[index]) || (index != 0 && buckets[index] <= buckets[index - 1])) {
        throw std::invalid_argument("asyncrest: metrics: the histogram " + quoted +
                                    " needs finite bucket bounds in increasing order (+Inf is added)");
      }
    }
    if (buckets.size() + 2 > detail::metric_cells_per_block) {
      throw std::invalid_argument("asyncrest: metrics: the histogram " + quoted + " has too many buckets");
    }
  }
  for (std::size_t index = 0; index < label_names.size(); ++index) {
    const std::string& label = label_names[index];
    if (!detail::is_label_name(label)) {
      throw std::invalid_argument("asyncrest: metrics: \"" + label + "\" (of " + quoted +
                                  ") is not a label name: use letters, digits and '_', not starting with a digit "
                                  "or \"__\"");
    }
    if (kind == detail::metric_kind::histogram && label == "le") {
      throw std::invalid_argument("asyncrest: metrics: the histogram " + quoted +
                                  " cannot have a label \"le\": its buckets use it");
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(index), label) !=
        label_names.begin() + static_cast<std::ptrdiff_t>(index)) {
      throw std::invalid_argument("asyncrest: metrics: " + quoted + " names the label \"" + label + "\" twice");
    }
  }

  std::lock_guard lock(mutex_);
  const auto suffixed = [&](const detail::metric_family& other, std::string_view suffix) {
    return other.name + std::string(suffix) == name || name + std::string(suffix) == other.name;
  };
  for (const auto& other : families_) {
    // A histogram's _bucket, _sum and _count series would collide with a metric of that name.
    const bool collides = other->name == name ||
                          ((other->kind == detail::metric_kind::histogram || kind == detail::metric_kind::histogram) &&
                           (suffixed(*other, "_bucket") || suffixed(*other, "_sum") || suffixed(*other, "_count")));
    if (collides) throw std::invalid_argument("asyncrest: metrics: " + quoted + " is already registered");
  }
  auto family = std::make_unique<detail::metric_family>();
  family->kind = kind;
  family->name = std::move(name);
  family->help = std::move(help);
  family->label_names = std::move(label_names);
  family->buckets = std::move(buckets);
  family->read = std::move(read);
  detail::metric_family& added = *family;
  families_.push_back(std::move(family));
  // A metric without labels has its one series from the start, so a scrape shows it at zero.
  if (added.label_names.empty() && !added.read) (void)series_cell_locked(added, {});
  return added;
}

inline detail::metric_shard& metrics_registry::local_shard() {
  auto& slots = detail::thread_metric_shards;
  for (const auto& slot : slots) {
    if (slot.registry_id == id_) return *slot.shard;
  }
  std::lock_guard lock(mutex_);
  shards_.push_back(std::make_unique<detail::metric_shard>());
  slots.push_back({id_, shards_.back().get()});
  return *shards_.back();
}

inline std::uint32_t metrics_registry::series_cell(detail::metric_family& family,
                                                   const std::vector<std::string_view>& values) {
  std::lock_guard lock(mutex_);
  return series_cell_locked(family, values);
}

inline std::uint32_t metrics_registry::series_cell_locked(detail::metric_family& family,
                                                          const std::vector<std::string_view>& values) {
  if (values.size() != family.label_names.size()) {
    throw std::invalid_argument("asyncrest: metrics: \"" + family.name + "\" has " +
                                std::to_string(family.label_names.size()) + " label(s), and with() was given " +
                                std::to_string(values.size()) + " value(s)");
  }
  for (const auto& existing : family.series) {
    if (std::equal(existing.label_values.begin(), existing.label_values.end(), values.begin(), values.end())) {
      return existing.first_cell;
    }
  }
  const std::uint32_t width = family.cells_per_series();
  std::uint32_t first = next_cell_;
  // A series' cells sit in one block, so a thread allocates the block once for all of them.
  const std::uint32_t room = static_cast<std::uint32_t>(detail::metric_cells_per_block - first % detail::metric_cells_per_block);
  if (room < width) first += room;
  if (first + width > detail::metric_cell_capacity) {
    throw std::length_error("asyncrest: metrics: the registry is full (" +
                            std::to_string(detail::metric_cell_capacity) + " cells): a label of \"" + family.name +
                            "\" takes too many values");
  }
  family.series.push_back({std::vector<std::string>(values.begin(), values.end()), first});
  next_cell_ = first + width;
  return first;
}

inline std::string metrics_registry::exposition() const {
  std::string out;
  std::lock_guard lock(mutex_);
  const auto total = [this](std::uint32_t cell) {
    std::uint64_t sum = 0;
    for (const auto& shard : shards_) sum += shard->read(cell);
    return sum;
  };
  const auto real_total = [this](std::uint32_t cell) {
    double sum = 0;
    for (const auto& shard : shards_) sum += std::bit_cast<double>(shard->read(cell));
    return sum;
  };
  for (const auto& family : families_) {
    out += "# HELP ";
    out += family->name;
    out += ' ';
    detail::append_help_text(out, family->help);
    out += "\n# TYPE ";
    out += family->name;
    out += ' ';
    out += detail::metric_type_name(family->kind);
    out += '\n';
    if (family->read) {
      out += family->name;
      out += ' ';
      detail::append_number(out, family->read());
      out += '\n';
      continue;
    }
    for (const auto& series : family->series) {
      if (family->kind == detail::metric_kind::histogram) {
        std::uint64_t cumulative = 0;
        std::string bound;
        for (std::size_t index = 0; index <= family->buckets.size(); ++index) {
          cumulative += total(series.first_cell + static_cast<std::uint32_t>(index));
          bound.clear();
          if (index == family->buckets.size()) {
            bound = "+Inf";
          } else {
            detail::append_number(bound, family->buckets[index]);
          }
          detail::append_series_name(out, family->name, "_bucket", *family, series, "le", bound);
          out += ' ';
          detail::append_number(out, cumulative);
          out += '\n';
        }
        detail::append_series_name(out, family->name, "_sum", *family, series);
        out += ' ';
        detail::append_number(out, real_total(series.first_cell + static_cast<std::uint32_t>(family->buckets.size()) + 1));
        out += '\n';
        detail::append_series_name(out, family->name, "_count", *family, series);
        out += ' ';
        detail::append_number(out, cumulative);
        out += '\n';
      } else {
        detail::append_series_name(out, family->name, "", *family, series);
        out += ' ';
        if (family->kind == detail::metric_kind::counter) {
          detail::append_number(out, total(series.first_cell));
        } else {
          detail::append_number(out, real_total(series.first_cell));
        }
        out += '\n';
      }
    }
  }
  return out;
}

inline request_metrics::request_metrics(metrics_registry& registry, request_metrics_settings settings)
    : registry_(&registry) {
  const std::vector<std::string> labels{"method", "route", "status"};
  requests_ = &registry.add_family(detail::metric_kind::counter, "http_server_requests_total",
                                   "HTTP requests answered, by method, route template and status class.", labels, {},
                                   {});
  durations_ = &registry.add_family(detail::metric_kind::histogram, "http_server_request_duration_seconds",
                                    "Time to answer an HTTP request, in seconds.", labels,
                                    std::move(settings.duration_buckets), {});
  request_bytes_ = &registry.add_family(detail::metric_kind::counter, "http_server_request_body_bytes_total",
                                        "Bytes of request bodies received.", labels, {}, {});
  response_bytes_ = &registry.add_family(detail::metric_kind::counter, "http_server_response_body_bytes_total",
                                         "Bytes of response bodies held in memory and sent.", labels, {}, {});
  const detail::metric_family& in_flight =
      registry.add_family(detail::metric_kind::gauge, "http_server_requests_in_flight",
                          "HTTP requests being answered now.", {}, {}, {});
  in_flight_cell_ = in_flight.series.front().first_cell;
}

inline std::optional<response> request_metrics::before(request& req) const {
  // The hooks run on the request's thread, so both write this thread's cells.
  detail::metric_shard& shard = registry_->local_shard();
  req.context().emplace<detail::request_metrics_start>(std::chrono::steady_clock::now(), shard,
                                                       shard.cell(in_flight_cell_));
  return std::nullopt;
}

inline void request_metrics::after(const request& req, response& res) const {
  detail::request_metrics_start* start = req.context().find<detail::request_metrics_start>();
  if (start == nullptr) return;  // its before hook did not run: another request_metrics' request
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start->at).count();
  record(*start->shard, req, res, seconds);
  start->finish();
}

inline void request_metrics::record(detail::metric_shard& shard, const request& req, const response& res,
                                    double seconds) const {
  const unsigned status_class = std::clamp(to_number(res.status) / 100, 1U, 5U) - 1;
  const std::string_view route = req.route_template();
  const std::string_view verb = to_string(req.method());
  const detail::request_series_key key{requests_, route.data(), route.size(), static_cast<std::uint8_t>(req.method()),
                                       static_cast<std::uint8_t>(status_class)};
  auto found = shard.request_series.find(key);
  if (found == shard.request_series.end()) {
    const std::vector<std::string_view> values{verb, route, detail::status_class_name(status_class)};
    std::lock_guard lock(registry_->mutex_);
    try {
      const detail::request_series_cells cells{
          registry_->series_cell_locked(*requests_, values), registry_->series_cell_locked(*durations_, values),
          registry_->series_cell_locked(*request_bytes_, values),
          registry_->series_cell_locked(*response_bytes_, values)};
      found = shard.request_series.emplace(key, cells).first;
    } catch (const std::length_error&) {
      return;  // the registry is full: the response matters more than its count
    }
  }
  const detail::request_series_cells& cells = found->second;
  detail::add_to_cell(shard.cell(cells[0]), 1);

  const auto& bounds = durations_->buckets;
  const auto bucket = static_cast<std::uint32_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  detail::add_to_cell(shard.cell(cells[1] + bucket), 1);
  detail::add_to_real_cell(shard.cell(cells[1] + static_cast<std::uint32_t>(bounds.size()) + 1), seconds);

  std::uint64_t received = req.body().size();
  if (received == 0) {
    if (const auto declared = req.header("Content-Length")) {
      std::from_chars(declared->data(), declared->data() + declared->size(), received);
    }
  }
  if (received != 0) detail::add_to_cell(shard.cell(cells[2]), received);
  if (!res.source && !res.body.empty()) detail::add_to_cell(shard.cell(cells[3]), res.body.size());
}

}  // namespace asyncrest
