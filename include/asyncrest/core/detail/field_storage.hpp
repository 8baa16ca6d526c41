// The bytes behind `headers`: each field kept as a response head sends it, in the object itself
// while the fields are few.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

/// An ordered list of fields in one buffer, laid out like a slotted page:
///
///     \r\nName: value\r\nName: value ...   (free)   ... [lengths of field 1][lengths of field 0]
///
/// From the front, each field as a response head sends it, so that a head copies its fields in
/// one piece; from the back, each field's name and value lengths, for finding the fields again.
/// The buffer lives inside the object up to `inline_capacity` bytes (116 bytes of name and value
/// in one field, 104 in two: a Content-Type, or a Content-Type and a Location), so that a typical
/// response allocates nothing for its fields; beyond, it moves to the heap and doubles as it grows.
///
/// No alignment is assumed anywhere: lengths and the heap address are copied in and out with
/// memcpy, which keeps the object's alignment at 4 and its size at 140 bytes.
class field_storage {
 public:
  static constexpr std::size_t inline_capacity = 128;

  /// Visits the fields in order, yielding each as a pair of views.
  class iterator {
   public:
    using value_type = std::pair<std::string_view, std::string_view>;
    using reference = value_type;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;
    // A field is made on demand, not stored, so to the C++17 iterator requirements this is an
    // input iterator; C++20 algorithms and ranges see the forward iterator it is.
    using iterator_category = std::input_iterator_tag;

    /// What `->` points at: the field made for it.
    struct arrow {
      value_type field;
      [[nodiscard]] const value_type* operator->() const noexcept { return &field; }
    };

    iterator() = default;
    iterator(const char* field, const char* lengths_end) noexcept : field_(field), lengths_end_(lengths_end) {}

    [[nodiscard]] value_type operator*() const noexcept {
      const field_lengths lengths = read_lengths(lengths_end_);
      return {std::string_view(field_ + 2, lengths.name), std::string_view(field_ + 4 + lengths.name, lengths.value)};
    }
    [[nodiscard]] arrow operator->() const noexcept { return {**this}; }
    iterator& operator++() noexcept {
      field_ += read_lengths(lengths_end_).field_size();
      lengths_end_ -= lengths_size;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator before = *this;
      ++*this;
      return before;
    }
    [[nodiscard]] friend bool operator==(const iterator& left, const iterator& right) noexcept {
      return left.field_ == right.field_;
    }

   private:
    friend class field_storage;

    const char* field_ = nullptr;        // where the field's "\r\n" starts
    const char* lengths_end_ = nullptr;  // just past the field's lengths
  };

  field_storage() noexcept = default;
  field_storage(const field_storage& other) { copy_from(other); }
  field_storage(field_storage&& other) noexcept { take_from(other); }
  field_storage& operator=(const field_storage& other) {
    if (this != &other) {
      field_storage copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  field_storage& operator=(field_storage&& other) noexcept {
    if (this != &other) {
      release();
      take_from(other);
    }
    return *this;
  }
  ~field_storage() { release(); }

  [[nodiscard]] iterator begin() const noexcept { return {data(), data() + capacity_}; }
  [[nodiscard]] iterator end() const noexcept {
    return {data() + bytes_used_, data() + capacity_ - std::size_t{count_} * lengths_size};
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  /// Every field as it is sent, `\r\nName: value` after `\r\nName: value`.
  [[nodiscard]] std::string_view bytes() const noexcept { return {data(), bytes_used_}; }

  /// Whether `text` views bytes of this storage, which a change may move.
  [[nodiscard]] bool holds(std::string_view text) const noexcept {
    const std::less<const char*> before;
    return !text.empty() && !before(text.data(), data()) && before(text.data(), data() + capacity_);
  }

  /// Adds a field at the end. `name` and `value` may view this storage's own bytes.
  void push_back(std::string_view name, std::string_view value) {
    const std::size_t field_size = checked_field_size(name, value);
    const std::size_t required = bytes_used_ + field_size + (std::size_t{count_} + 1) * lengths_size;
    if (required <= capacity_) {
      write_field(data(), name, value);
      return;
    }
    // The old buffer is released only after the new field is written, as it may be what the
    // field's views point into.
    const std::size_t capacity = grown_capacity(required);
    std::unique_ptr<char[]> grown(new char[capacity]);
    copy_fields(grown.get(), capacity);
    const std::size_t old_capacity = capacity_;
    capacity_ = static_cast<std::uint32_t>(capacity);
    write_field(grown.get(), name, value);
    if (old_capacity > inline_capacity) delete[] heap();
    set_heap(grown.release());
  }

  /// Adds the first field of an empty storage, one that fits inside the object (116 bytes of
  /// name and value or fewer), which needs no check and no growth: small enough to be inlined
  /// where the field is a constant, as a helper's Content-Type is.
  void push_first_small(std::string_view name, std::string_view value) noexcept { write_field(data(), name, value); }

  /// Gives the field at `position` a new value. `value` must not view this storage's bytes.
  void replace_value(iterator position, std::string_view value) {
    char* base = data();
    const std::size_t field_start = static_cast<std::size_t>(position.field_ - base);
    // Lengths are placed from the end of the buffer, which moves if it grows.
    const std::size_t lengths_from_end = static_cast<std::size_t>(base + capacity_ - position.lengths_end_);
    field_lengths lengths = read_lengths(position.lengths_end_);
    const std::size_t value_start = field_start + 4 + lengths.name;
    const std::size_t tail_start = value_start + lengths.value;
    if (value.size() > lengths.value) {
      check_length(value.size());
      const std::size_t required = bytes_used_ + (value.size() - lengths.value) + std::size_t{count_} * lengths_size;
      if (required > capacity_) {
        reserve(required);
        base = data();
      }
    }
    std::memmove(base + value_start + value.size(), base + tail_start, bytes_used_ - tail_start);
    copy_bytes(base + value_start, value);
    bytes_used_ = static_cast<std::uint32_t>(bytes_used_ - lengths.value + value.size());
    lengths.value = static_cast<std::uint32_t>(value.size());
    write_lengths(base + capacity_ - lengths_from_end, lengths);
  }

  /// Removes every field for which `remove(name, value)` is true, keeping the others' order.
  template <typename Predicate>
  void erase_if(Predicate remove) {
    char* base = data();
    char* lengths_end = base + capacity_;
    std::size_t read = 0;
    std::size_t written = 0;
    std::uint32_t kept = 0;
    for (std::uint32_t index = 0; index < count_; ++index, lengths_end -= lengths_size) {
      const field_lengths lengths = read_lengths(lengths_end);
      const std::size_t field_size = lengths.field_size();
      const std::string_view name(base + read + 2, lengths.name);
      const std::string_view value(base + read + 4 + lengths.name, lengths.value);
      if (!remove(name, value)) {
        if (written != read) std::memmove(base + written, base + read, field_size);
        write_lengths(base + capacity_ - std::size_t{kept} * lengths_size, lengths);
        written += field_size;
        ++kept;
      }
      read += field_size;
    }
    bytes_used_ = static_cast<std::uint32_t>(written);
    count_ = kept;
  }

 private:
  struct field_lengths {
    std::uint32_t name;
    std::uint32_t value;
    /// "\r\n", the name, ": " and the value.
    [[nodiscard]] std::size_t field_size() const noexcept { return std::size_t{4} + name + value; }
  };
  static constexpr std::size_t lengths_size = sizeof(field_lengths);

  static field_lengths read_lengths(const char* lengths_end) noexcept {
    field_lengths lengths;
    std::memcpy(&lengths, lengths_end - lengths_size, lengths_size);
    return lengths;
  }
  static void write_lengths(char* lengths_end, field_lengths lengths) noexcept {
    std::memcpy(lengths_end - lengths_size, &lengths, lengths_size);
  }

  // Lengths are kept in 32 bits; a name or value of 2 GiB is refused before any sum can wrap.
  static void check_length(std::size_t length) {
    if (length > std::numeric_limits<std::uint32_t>::max() / 2) {
      throw std::length_error("asyncrest::headers: a field name or value of 2 GiB or more");
    }
  }
  /// memcpy, but for an empty view, which may have no data to copy from at all.
  static char* copy_bytes(char* target, std::string_view text) noexcept {
    if (!text.empty()) std::memcpy(target, text.data(), text.size());
    return target + text.size();
  }

  static std::size_t checked_field_size(std::string_view name, std::string_view value) {
    check_length(name.size());
    check_length(value.size());
    return 4 + name.size() + value.size();
  }

  [[nodiscard]] bool on_heap() const noexcept { return capacity_ > inline_capacity; }
  // On the heap, the first bytes of `inline_` hold the buffer's address.
  [[nodiscard]] char* heap() const noexcept {
    char* buffer = nullptr;
    std::memcpy(&buffer, inline_, sizeof buffer);
    return buffer;
  }
  void set_heap(char* buffer) noexcept { std::memcpy(inline_, &buffer, sizeof buffer); }
  [[nodiscard]] char* data() noexcept { return on_heap() ? heap() : inline_; }
  [[nodiscard]] const char* data() const noexcept { return on_heap() ? heap() : inline_; }

  /// Writes a field after the last one into `base`, whose capacity is `capacity_` and has room.
  void write_field(char* base, std::string_view name, std::string_view value) noexcept {
    char* cursor = base + bytes_used_;
    *cursor++ = '\r';
    *cursor++ = '\n';
    cursor = copy_bytes(cursor, name);
    *cursor++ = ':';
    *cursor++ = ' ';
    copy_bytes(cursor, value);
    write_lengths(base + capacity_ - std::size_t{count_} * lengths_size,
                  {static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())});
    bytes_used_ = static_cast<std::uint32_t>(bytes_used_ + 4 + name.size() + value.size());
    ++count_;
  }

  /// Copies the fields and their lengths into `target`, a buffer of `capacity` bytes.
  void copy_fields(char* target, std::size_t capacity) const noexcept {
    const char* base = data();
    const std::size_t lengths_bytes = std::size_t{count_} * lengths_size;
    std::memcpy(target, base, bytes_used_);
    std::memcpy(target + capacity - lengths_bytes, base + capacity_ - lengths_bytes, lengths_bytes);
  }

  /// Room for `required` bytes or more: at least double, so that adding fields one by one costs
  /// a constant time each.
  [[nodiscard]] std::size_t grown_capacity(std::size_t required) const {
    constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
    if (required > most) throw std::length_error("asyncrest::headers: the fields take more than 4 GiB");
    return std::min(std::max(required, std::size_t{capacity_} * 2), most);
  }

  /// Moves the fields to a heap buffer of `required` bytes or more.
  void reserve(std::size_t required) {
    const std::size_t capacity = grown_capacity(required);
    std::unique_ptr<char[]> grown(new char[capacity]);
    copy_fields(grown.get(), capacity);
    release();
    capacity_ = static_cast<std::uint32_t>(capacity);
    set_heap(grown.release());
  }

  void copy_from(const field_storage& other) {
    const std::size_t required = other.bytes_used_ + std::size_t{other.count_} * lengths_size;
    if (required > inline_capacity) {
      std::unique_ptr<char[]> buffer(new char[required]);
      other.copy_fields(buffer.get(), required);
      capacity_ = static_cast<std::uint32_t>(required);
      set_heap(buffer.release());
    } else {
      other.copy_fields(inline_, inline_capacity);
    }
    bytes_used_ = other.bytes_used_;
    count_ = other.count_;
  }

  /// Takes `other`'s fields, copying the inline bytes or the heap buffer's address alike, and
  /// leaves `other` empty.
  void take_from(field_storage& other) noexcept {
    std::memcpy(inline_, other.inline_, inline_capacity);
    bytes_used_ = std::exchange(other.bytes_used_, 0);
    count_ = std::exchange(other.count_, 0);
    capacity_ = std::exchange(other.capacity_, static_cast<std::uint32_t>(inline_capacity));
  }

  void release() noexcept {
    if (on_heap()) delete[] heap();
  }

  std::uint32_t bytes_used_ = 0;
  std::uint32_t count_ = 0;
  std::uint32_t capacity_ = inline_capacity;
  char inline_[inline_capacity];
};

}  // namespace asyncrest::detail
