// SPDX-License-Identifier: GPL-2.0 OR MIT
// What a branch changed: the paths added, modified and deleted between two views.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daxfs/overlay.hpp"

namespace daxfs {

struct Change {
    enum Kind { kAdded, kModified, kDeleted } kind;
    std::string path;              // "/dir/name"
    std::uint32_t mode = 0;        // of the new inode (the old one when deleted)
    std::uint64_t size = 0;        // regular files and symlinks: bytes now (before, if deleted)
    std::uint64_t old_size = 0;    // modified: bytes before
    std::vector<std::string> what; // modified: "type", "content", "mode", "owner", "mtime",
                                   // "target", "rdev"
};

// Every path that differs, in tree order (a directory before its contents). A directory
// counts as modified only for its own attributes (mode, owner), not for its entries; the
// contents of an added or deleted directory are listed too.
std::vector<Change> diff_views(const Overlay &before, const Overlay &after);

// What @branch changed against what it was created on (its parent's view then).
std::vector<Change> diff_branch(const Image &image, std::string_view branch);

std::string change_kind_name(Change::Kind kind); // "added", "modified", "deleted"
nlohmann::json changes_json(const std::vector<Change> &changes);

} // namespace daxfs
