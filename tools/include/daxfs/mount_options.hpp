// SPDX-License-Identifier: GPL-2.0 OR MIT
// What mount.daxfs adds to a mount of a device-DAX device: the kernel mounts a physical
// range (phys=, size=) and checks it against the device named by dax=; users name only the
// device (-o dax=/dev/dax0.0, or /dev/dax0.0 as the source) and libdaxctl gives the range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace daxfs {

// The options of a comma-separated mount option string, in order ("KEY" or "KEY=VALUE"
// each; empty ones left out).
std::vector<std::string> split_options(const std::string &options);

// The value of the last KEY=VALUE of @options, if any.
std::optional<std::string> option_value(const std::string &options, const std::string &key);

// The dax device a mount names that needs its range filled in: dax=DEV of @options, else
// @source when @source_is_dax (a character device); "" when @options have phys= already
// (passed through as given) or nothing names a device. daxfs::Error(EINVAL) for dax= with
// size= but no phys=, or a dax= that names no device-DAX device.
std::string dax_to_resolve(const std::string &source, bool source_is_dax,
                           const std::string &options);

// @options without any dax=, then phys=0x<start>,size=<size>,dax=<name> appended.
std::string with_dax_range(const std::string &options, const std::string &name, std::uint64_t start,
                           std::uint64_t size);

} // namespace daxfs
