// SPDX-License-Identifier: GPL-2.0 OR MIT
// Where the image writer puts bytes: a file, memory (a /dev/mem mapping, a buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "daxfs/fd.hpp"

namespace daxfs {

// Throws daxfs::Error(ENOSPC) "image needs N bytes (X MiB) but the region holds S bytes".
void check_fits(std::uint64_t image_size, std::uint64_t region_size);

class Sink {
  public:
    virtual ~Sink() = default;
    // Called once before any write with the final image size.
    virtual void reserve(std::uint64_t image_size) = 0;
    virtual void write(std::uint64_t off, std::span<const std::byte> bytes) = 0;
    // Called once after the last write.
    virtual void finish() {}
};

// A regular file (created or truncated) or a block device (opened O_EXCL, so a mounted
// one is refused; the image must fit its size).
class FileSink : public Sink {
  public:
    explicit FileSink(std::string path);
    void reserve(std::uint64_t image_size) override;
    void write(std::uint64_t off, std::span<const std::byte> bytes) override;
    void finish() override;

  private:
    void reserve_device(std::uint64_t image_size);
    std::string path_;
    UniqueFd fd_;
    bool device_ = false;
};

// A fixed span of memory (a /dev/mem mapping); the image must fit in it. The old
// superblock is cleared first, so a half-written region never looks like an image.
class MemorySink : public Sink {
  public:
    explicit MemorySink(std::span<std::byte> region) : region_(region) {}
    void reserve(std::uint64_t image_size) override;
    void write(std::uint64_t off, std::span<const std::byte> bytes) override;

  private:
    std::span<std::byte> region_;
};

// A growable buffer (tests, seed corpus).
class VectorSink : public Sink {
  public:
    void reserve(std::uint64_t image_size) override { bytes.assign(image_size, std::byte{0}); }
    void write(std::uint64_t off, std::span<const std::byte> b) override;
    std::vector<std::byte> bytes;
};

} // namespace daxfs
