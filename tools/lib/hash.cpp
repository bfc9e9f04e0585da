// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/hash.hpp"

#include <bit>
#include <cstring>

namespace daxfs {

namespace {

constexpr std::uint64_t K1 = 0x9e3779b185ebca87u;
constexpr std::uint64_t K2 = 0xc2b2ae3d27d4eb4fu;
constexpr std::uint64_t K3 = 0x165667b19e3779f9u;

std::uint64_t load64(const std::byte *p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

std::uint64_t round(std::uint64_t acc, std::uint64_t word) {
    return std::rotl(acc + word * K2, 31) * K1;
}

std::uint64_t avalanche(std::uint64_t h) {
    h ^= h >> 33;
    h *= K2;
    h ^= h >> 29;
    h *= K3;
    return h ^ (h >> 32);
}

} // namespace

ContentHash::ContentHash() : lane_{K1 + K2, K2, 0, 0 - K1} {}

void ContentHash::block(const std::byte *p) {
    for (std::size_t i = 0; i < lane_.size(); i++)
        lane_[i] = round(lane_[i], load64(p + 8 * i));
}

void ContentHash::update(std::span<const std::byte> bytes) {
    total_ += bytes.size();
    if (tail_len_) {
        std::size_t take = std::min(bytes.size(), tail_.size() - tail_len_);
        std::memcpy(tail_.data() + tail_len_, bytes.data(), take);
        tail_len_ += take;
        bytes = bytes.subspan(take);
        if (tail_len_ < tail_.size())
            return;
        block(tail_.data());
        tail_len_ = 0;
    }
    while (bytes.size() >= tail_.size()) {
        block(bytes.data());
        bytes = bytes.subspan(tail_.size());
    }
    std::memcpy(tail_.data(), bytes.data(), bytes.size());
    tail_len_ = bytes.size();
}

std::array<std::uint8_t, 16> ContentHash::uuid() const {
    std::array<std::uint64_t, 4> l = lane_;
    for (std::size_t i = 0; i < tail_len_; i++)
        l[i % 4] = round(l[i % 4], static_cast<std::uint64_t>(tail_[i]) + (i << 8));
    std::uint64_t hi = avalanche(std::rotl(l[0], 1) + std::rotl(l[1], 7) + l[2] * K3 + total_);
    std::uint64_t lo = avalanche(std::rotl(l[2], 12) + std::rotl(l[3], 18) + l[0] * K3 + hi);
    std::array<std::uint8_t, 16> u;
    for (int i = 0; i < 8; i++) {
        u[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
        u[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
    }
    u[6] = static_cast<std::uint8_t>((u[6] & 0x0f) | 0x80); // version 8
    u[8] = static_cast<std::uint8_t>((u[8] & 0x3f) | 0x80); // RFC 9562 variant
    return u;
}

} // namespace daxfs
