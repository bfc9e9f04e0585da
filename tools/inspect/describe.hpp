// SPDX-License-Identifier: GPL-2.0 OR MIT
// Turning decoded inodes and image facts into text and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"

namespace inspect {

// "drwxr-xr-x" style.
std::string mode_string(std::uint32_t mode);
// "EUCLEAN" style name of an errno.
std::string errno_name(int err);
std::string uuid_string(const std::uint8_t (&uuid)[16]);

nlohmann::json inode_json(const daxfs::Image &image, const daxfs_ino &in);
// One `ls -l` line.
std::string long_line(const daxfs::Image &image, const daxfs_ino &in, std::string_view name);

} // namespace inspect
