// SPDX-License-Identifier: GPL-2.0 OR MIT
// DAXFS mounts as /proc/mounts lists them: where each region is mounted and which branch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace daxfs {

struct DaxfsMount {
    std::string dir;    // mount point (octal escapes decoded)
    std::uint64_t phys; // phys= option
    std::uint64_t size; // size= option
    std::string branch; // branch= option; "main" when absent
    bool read_only;
    std::uint64_t dmabuf; // dmabuf= option (the buffer's inode number); 0: physical memory
};

// The daxfs lines of /proc/mounts style @text; lines without phys=/size= (or dmabuf=/size=)
// are left out.
std::vector<DaxfsMount> parse_mounts(const std::string &text);
// This machine's (reads /proc/mounts; empty if unreadable).
std::vector<DaxfsMount> daxfs_mounts();

// The mount at directory @dir (compared after realpath()); daxfs::Error(EINVAL) if @dir is
// not a daxfs mount point.
DaxfsMount mount_at(const std::string &dir);

// The one region mounted (phys, size, dmabuf), if exactly one distinct region has daxfs
// mounts;
// daxfs::Error(ENOENT) when none, (EINVAL) when several, each with a one-line hint.
DaxfsMount only_region();

// The mount option string for a branch: "phys=0x..,size=..,branch=NAME[,parent=P]".
std::string branch_mount_options(std::uint64_t phys, std::uint64_t size, const std::string &name,
                                 const std::optional<std::string> &parent);

} // namespace daxfs
