// Where metric values live: each thread writes its own cells, a scrape adds every thread's up.
//
// A series owns a range of cell indexes, the same on every thread. A thread's cells are its
// shard: blocks of atomics that only that thread writes (a relaxed load and a relaxed store, no
// read-modify-write: as cheap as a plain add on x86) and that a scrape reads from another
// thread (a relaxed load; atomics so that the read is not a data race). Blocks are allocated
// by the writing thread the first time it touches them and never move, so a scrape needs no
// lock against the writers.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncrest::detail {

inline constexpr std::size_t metric_cells_per_block = 512;
inline constexpr std::size_t metric_blocks_per_shard = 128;
/// Cells per registry: series beyond it are refused when created (a label with unbounded values,
/// most likely).
inline constexpr std::size_t metric_cell_capacity = metric_cells_per_block * metric_blocks_per_shard;

struct metric_cell_block {
  std::array<std::atomic<std::uint64_t>, metric_cells_per_block> cells{};
};

/// The request metrics' per-thread lookup: a route template, a method and a status class, all
/// views of storage that lives as long as the program, compared by address.
struct request_series_key {
  const void* owner = nullptr;
  const char* route = nullptr;
  std::size_t route_size = 0;
  std::uint8_t method = 0;
  std::uint8_t status_class = 0;

  friend bool operator==(const request_series_key&, const request_series_key&) = default;
};

struct request_series_key_hash {
  std::size_t operator()(const request_series_key& key) const noexcept {
    std::size_t seed = std::hash<const void*>{}(key.owner);
    const auto mix = [&seed](std::size_t value) { seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2); };
    mix(std::hash<const void*>{}(key.route));
    mix(key.route_size);
    mix(static_cast<std::size_t>(key.method) << 8 | key.status_class);
    return seed;
  }
};

/// The first cell of each of a request series' metrics (count, duration, bytes in, bytes out).
using request_series_cells = std::array<std::uint32_t, 4>;

/// One thread's cells for one registry.
class metric_shard {
 public:
  metric_shard() = default;
  metric_shard(const metric_shard&) = delete;
  metric_shard& operator=(const metric_shard&) = delete;
  ~metric_shard() {
    for (auto& block : blocks_) delete block.load(std::memory_order_relaxed);
  }

  /// The cell `index`, for the owning thread to write.
  [[nodiscard]] std::atomic<std::uint64_t>& cell(std::uint32_t index) {
    std::atomic<metric_cell_block*>& slot = blocks_[index / metric_cells_per_block];
    metric_cell_block* block = slot.load(std::memory_order_relaxed);  // only this thread stores it
    if (block == nullptr) {
      block = new metric_cell_block;
      slot.store(block, std::memory_order_release);  // a scrape sees the zeroed cells
    }
    return block->cells[index % metric_cells_per_block];
  }

  /// The cell `index` as the owning thread last wrote it, read from any thread.
  [[nodiscard]] std::uint64_t read(std::uint32_t index) const noexcept {
    const metric_cell_block* block = blocks_[index / metric_cells_per_block].load(std::memory_order_acquire);
    return block == nullptr ? 0 : block->cells[index % metric_cells_per_block].load(std::memory_order_relaxed);
  }

  /// The request metrics' series found by this thread so far; touched by the owning thread only.
  std::unordered_map<request_series_key, request_series_cells, request_series_key_hash> request_series;

 private:
  std::array<std::atomic<metric_cell_block*>, metric_blocks_per_shard> blocks_{};
};

/// The single writer's add: no read-modify-write, since no other thread writes the cell.
inline void add_to_cell(std::atomic<std::uint64_t>& cell, std::uint64_t amount) noexcept {
  cell.store(cell.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

/// A cell holding a double, by its bits.
inline void add_to_real_cell(std::atomic<std::uint64_t>& cell, double amount) noexcept {
  const double current = std::bit_cast<double>(cell.load(std::memory_order_relaxed));
  cell.store(std::bit_cast<std::uint64_t>(current + amount), std::memory_order_relaxed);
}

/// What request_metrics keeps in a request's context from its before hook to its after hook:
/// the start, and the in-flight cell the request is counted in. A request that ends without its
/// after hook (a handler abandoned when its client left) leaves the count when the value is
/// destroyed with the request's context, on the same thread.
class request_metrics_start {
 public:
  request_metrics_start(std::chrono::steady_clock::time_point started, metric_shard& owner,
                        std::atomic<std::uint64_t>& in_flight_cell) noexcept
      : at(started), shard(&owner), in_flight_(&in_flight_cell) {
    add_to_real_cell(*in_flight_, 1);
  }
  request_metrics_start(const request_metrics_start&) = delete;
  request_metrics_start& operator=(const request_metrics_start&) = delete;
  ~request_metrics_start() { finish(); }

  /// The request is no longer in flight (once, whichever comes first).
  void finish() noexcept {
    if (in_flight_ != nullptr) add_to_real_cell(*std::exchange(in_flight_, nullptr), -1);
  }

  std::chrono::steady_clock::time_point at;
  metric_shard* shard;

 private:
  std::atomic<std::uint64_t>* in_flight_;
};

/// Which shard a thread writes for each registry it has touched, by the registry's id (never
/// reused, so a registry made at a destroyed one's address is not mistaken for it).
struct metric_shard_slot {
  std::uint64_t registry_id = 0;
  metric_shard* shard = nullptr;
};
inline thread_local std::vector<metric_shard_slot> thread_metric_shards;

inline std::atomic<std::uint64_t> next_metric_registry_id{1};

}  // namespace asyncrest::detail
