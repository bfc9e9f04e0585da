// SPDX-License-Identifier: GPL-2.0 OR MIT
// A fast non-cryptographic 128-bit content hash, used to derive an image's uuid.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace daxfs {

class ContentHash {
  public:
    ContentHash();
    void update(std::span<const std::byte> bytes);
    // A version 8 (custom) RFC 9562 uuid made of the hash.
    std::array<std::uint8_t, 16> uuid() const;

  private:
    void block(const std::byte *p);
    std::array<std::uint64_t, 4> lane_;
    std::array<std::byte, 32> tail_{};
    std::size_t tail_len_ = 0;
    std::uint64_t total_ = 0;
};

} // namespace daxfs
