// SPDX-License-Identifier: GPL-2.0 OR MIT
// RAII owners of a file descriptor and of a memory mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace daxfs {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd &operator=(UniqueFd &&o) noexcept;
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd();

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_ = -1;
};

class Mapping {
  public:
    Mapping() = default;
    // Takes ownership of an mmap()ed range; @bytes is what callers see inside it.
    Mapping(void *base, std::size_t len, std::span<std::byte> bytes)
        : base_(base), len_(len), bytes_(bytes) {}
    // The same, keeping @fd open (and its locks held) until the mapping goes.
    Mapping(void *base, std::size_t len, std::span<std::byte> bytes, UniqueFd fd)
        : base_(base), len_(len), bytes_(bytes), fd_(std::move(fd)) {}
    Mapping(Mapping &&o) noexcept
        : base_(std::exchange(o.base_, nullptr)), len_(std::exchange(o.len_, 0)),
          bytes_(std::exchange(o.bytes_, {})), fd_(std::move(o.fd_)) {}
    Mapping &operator=(Mapping &&o) noexcept;
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    ~Mapping();

    std::span<std::byte> bytes() const noexcept { return bytes_; }

  private:
    void *base_ = nullptr;
    std::size_t len_ = 0;
    std::span<std::byte> bytes_;
    UniqueFd fd_;
};

// Map a whole file read-only; an empty file gives an empty mapping.
Mapping map_file_readonly(const char *path);

// Size of an open regular file or block device.
std::uint64_t file_size(int fd, const std::string &path);

// The size of @path if it is a block device (BLKGETSIZE64), else nothing.
std::optional<std::uint64_t> block_device_size(const std::string &path);

// Open a source file for reading, without updating its atime when allowed.
UniqueFd open_source(const std::string &path);

// Read exactly @into.size() bytes; daxfs::Error if the file ends early or read() fails.
void read_exact(int fd, std::span<std::byte> into, const std::string &path);

} // namespace daxfs
