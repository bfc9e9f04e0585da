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
    std::uint64_t phys; // phys= option (0 for a block device source without it)
    std::uint64_t size; // size= option
    std::string branch; // branch= option; "main" when absent
    bool read_only;
    std::string source = "none"; // the mounted device: "none", "/dev/pmem0", "/dev/dax0.0"
    std::string dax;             // dax= option (a device-DAX device's name), if any
    std::uint64_t dmabuf = 0;    // dmabuf= option (the buffer's inode number); 0: no dma-buf
};

// What mount(2) is given to mount (a branch of) a region: the source and the options that
// name the region ("phys=0x..,size=..[,dax=NAME]", or empty for a block device source).
struct RegionMount {
    std::string source = "none";
    std::string options;
};

// The daxfs lines of /proc/mounts style @text; lines without phys=/size= (or dmabuf=/size=)
// are left out, unless their source is a block device path (a region on /dev/pmem0: phys
// and size 0).
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
// The same for any region: @base's options, then branch=NAME[,parent=P].
std::string branch_mount_options(const RegionMount &base, const std::string &name,
                                 const std::optional<std::string> &parent);

// "phys=0x..,size=N" and, when @dax is not empty, ",dax=NAME".
std::string region_options(std::uint64_t phys, std::uint64_t size, const std::string &dax);

// How to mount the region of mount @m again: its source, phys=/size= and the dax= it
// carries; a phys range without dax= inside a device-DAX device gets that device's name
// (the kernel mounts such a range only when it is named).
RegionMount region_mount(const DaxfsMount &m);

// The name of the device-DAX device whose range holds [phys, phys + size), or "".
std::string dax_device_at(std::uint64_t phys, std::uint64_t size);

} // namespace daxfs
