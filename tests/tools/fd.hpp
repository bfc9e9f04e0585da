// An owned file descriptor and the few *at() wrappers the test tools need; failures throw
// std::system_error naming the path.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <utility>

namespace daxfs::test {

[[noreturn]] void throw_errno(std::string_view what, std::string_view path);

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd &operator=(Fd &&other) noexcept {
        reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1);

  private:
    int fd_ = -1;
};

// Opens NAME relative to DIR (AT_FDCWD allowed) with FLAGS | O_CLOEXEC; throws on failure.
Fd open_at(int dir, const std::string &name, int flags, mode_t mode = 0);

// Opens a directory without following a final symlink; throws on failure.
Fd open_dir(int dir, const std::string &name);

// Writes DATA to PATH (created or truncated, mode 0644); throws on failure.
void write_file(const std::string &path, std::span<const unsigned char> data);

} // namespace daxfs::test
