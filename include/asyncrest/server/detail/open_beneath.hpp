// Opening a file beneath a folder so that no path, symlink or race leads out of it: openat2(2)
// with RESOLVE_BENEATH where the kernel has it (Linux 5.6), else a walk one component at a time
// that follows no symlink.
#pragma once

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

/// An open file descriptor, closed with its owner.
class file_descriptor {
 public:
  file_descriptor() noexcept = default;
  explicit file_descriptor(int value) noexcept : value_(value) {}
  file_descriptor(file_descriptor&& other) noexcept : value_(std::exchange(other.value_, -1)) {}
  file_descriptor& operator=(file_descriptor&& other) noexcept {
    if (this != &other) {
      reset();
      value_ = std::exchange(other.value_, -1);
    }
    return *this;
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() { reset(); }

  [[nodiscard]] int get() const noexcept { return value_; }
  [[nodiscard]] explicit operator bool() const noexcept { return value_ >= 0; }
  /// Gives the descriptor up to a new owner.
  [[nodiscard]] int release() noexcept { return std::exchange(value_, -1); }
  void reset() noexcept {
    if (value_ >= 0) ::close(value_);
    value_ = -1;
  }

 private:
  int value_ = -1;
};

// O_NONBLOCK: a FIFO would otherwise block the thread until a writer came; it is refused later
// as not a regular file, on which the flag changes nothing.
inline constexpr int file_open_flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

/// Opens `relative` ('/'-separated plain names, none of them "." or "..") beneath the folder
/// `root` one component at a time, refusing every symlink on the way (ELOOP or ENOTDIR).
[[nodiscard]] inline file_descriptor open_beneath_by_walk(int root, std::string_view relative) {
  file_descriptor folder(::openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!folder) return {};
  std::string name;
  while (true) {
    const std::size_t slash = relative.find('/');
    name.assign(relative.substr(0, slash));
    if (slash == std::string_view::npos) {
      return file_descriptor(::openat(folder.get(), name.c_str(), file_open_flags | O_NOFOLLOW));
    }
    file_descriptor next(::openat(folder.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return {};
    folder = std::move(next);
    relative.remove_prefix(slash + 1);
  }
}

/// Opens `relative` (as for open_beneath_by_walk; empty for the folder itself) beneath `root`.
/// Symlinks that stay beneath the root are followed; one that leads out fails with EXDEV (with
/// openat2) or ELOOP (by the walk, which follows none). With `follow_any_symlink` every symlink
/// is followed: the names themselves still cannot climb out, but a link can.
[[nodiscard]] inline file_descriptor open_beneath(int root, const std::string& relative, bool follow_any_symlink) {
  const char* const name = relative.empty() ? "." : relative.c_str();
  if (follow_any_symlink) return file_descriptor(::openat(root, name, file_open_flags));
#if defined(SYS_openat2)
  // glibc has no wrapper for openat2 before 2.42: called by number. Once the kernel says it
  // lacks the call (ENOSYS), the walk is used from then on.
  static std::atomic<bool> kernel_lacks_openat2{false};
  if (!kernel_lacks_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<unsigned long long>(file_open_flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long opened = -1;
    // EAGAIN: a rename elsewhere raced the lookup; a few tries, then it counts as a failure.
    for (int attempt = 0; attempt < 8; ++attempt) {
      opened = ::syscall(SYS_openat2, root, name, &how, sizeof how);
      if (opened >= 0 || (errno != EINTR && errno != EAGAIN)) break;
    }
    if (opened >= 0) return file_descriptor(static_cast<int>(opened));
    if (errno != ENOSYS) return {};
    kernel_lacks_openat2.store(true, std::memory_order_relaxed);
  }
#endif
  if (relative.empty()) return file_descriptor(::openat(root, ".", file_open_flags));
  return open_beneath_by_walk(root, relative);
}

}  // namespace asyncrest::detail
