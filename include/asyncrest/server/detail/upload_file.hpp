// A temporary file an upload is written to, owned: removed when destroyed unless moved away or
// released. Its name is the library's (mkstemp), never the client's.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace asyncrest::detail {

class upload_file {
 public:
  /// A new, empty file in `directory`, readable by its owner only.
  [[nodiscard]] static upload_file create(const std::filesystem::path& directory) {
    std::string pattern = (directory / "asyncrest-upload-XXXXXX").string();
    const int descriptor = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (descriptor < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "cannot make a temporary file for an upload in " + directory.string());
    }
    return upload_file(std::move(pattern), descriptor);
  }

  upload_file(upload_file&& other) noexcept
      : path_(std::move(other.path_)),
        descriptor_(std::exchange(other.descriptor_, -1)),
        size_(other.size_),
        owned_(std::exchange(other.owned_, false)) {}
  upload_file& operator=(upload_file&& other) noexcept {
    if (this != &other) {
      discard();
      path_ = std::move(other.path_);
      descriptor_ = std::exchange(other.descriptor_, -1);
      size_ = other.size_;
      owned_ = std::exchange(other.owned_, false);
    }
    return *this;
  }
  upload_file(const upload_file&) = delete;
  upload_file& operator=(const upload_file&) = delete;
  ~upload_file() { discard(); }

  /// Appends `bytes`. A full disk or another write error throws std::system_error (a 500).
  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ::ssize_t written = ::write(descriptor_, bytes.data(), bytes.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "cannot write an upload's temporary file");
      }
      bytes.remove_prefix(static_cast<std::size_t>(written));
      size_ += static_cast<std::uint64_t>(written);
    }
  }

  /// Closes the descriptor once the content is whole; the file stays.
  void close() noexcept {
    if (descriptor_ >= 0) ::close(descriptor_);
    descriptor_ = -1;
  }

  void move_to(const std::filesystem::path& destination) {
    close();
    std::error_code error;
    std::filesystem::rename(path_, destination, error);
    if (error == std::errc::cross_device_link) {
      std::filesystem::copy_file(path_, destination, std::filesystem::copy_options::overwrite_existing);
      std::filesystem::remove(path_, error);
    } else if (error) {
      throw std::filesystem::filesystem_error("cannot move an uploaded file", path_, destination, error);
    }
    path_ = destination;
    owned_ = false;
  }

  std::filesystem::path release() noexcept {
    close();
    owned_ = false;
    return path_;
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

 private:
  upload_file(std::string path, int descriptor) : path_(std::move(path)), descriptor_(descriptor) {}

  void discard() noexcept {
    close();
    if (owned_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
      owned_ = false;
    }
  }

  std::filesystem::path path_;
  int descriptor_ = -1;
  std::uint64_t size_ = 0;
  bool owned_ = true;
};

}  // namespace asyncrest::detail
