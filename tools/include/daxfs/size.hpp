// SPDX-License-Identifier: GPL-2.0 OR MIT
// Parsing of sizes and addresses given on command lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace daxfs {

// "4096", "0x40000000", "256M", "1G", "64k": K/M/G/T are powers of 1024.
// Throws daxfs::Error(EINVAL) with a one-line message on anything else or overflow.
std::uint64_t parse_size(std::string_view text);

// "12.3 MiB" style, for messages.
std::string human_bytes(std::uint64_t bytes);

} // namespace daxfs
