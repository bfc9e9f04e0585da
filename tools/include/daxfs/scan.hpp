// SPDX-License-Identifier: GPL-2.0 OR MIT
// Building a Tree from a directory of the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>

#include "daxfs/tree.hpp"

namespace daxfs {

struct ScanOptions {
    // Timestamps later than this are clamped to it (SOURCE_DATE_EPOCH).
    std::optional<std::int64_t> clamp_time;
    // A file left out of the tree (the output image when it lies inside the tree).
    std::optional<std::pair<dev_t, ino_t>> exclude;
};

// The clamp SOURCE_DATE_EPOCH asks for, if set (throws on a malformed value).
std::optional<std::int64_t> source_date_epoch();

// Walk @root without following symlinks. Hard links are found by (st_dev, st_ino) within
// the tree. Throws daxfs::Error on an unreadable entry, a name longer than DAXFS_NAME_MAX,
// a symlink target longer than DAXFS_SYMLINK_MAX or too many inodes.
Tree scan_tree(const std::string &root, const ScanOptions &opts = {});

} // namespace daxfs
