// SPDX-License-Identifier: GPL-2.0 OR MIT
// How every DAXFS program names the region it reads: an image file (or a block device such
// as /dev/pmem0), a physical range (--phys ADDR --size SIZE, through /dev/mem), a
// device-DAX device (-D /dev/dax0.0, mapped whole; libdaxctl gives its range), or the
// region behind a daxfs mount (-m MNT; its phys= and size= from /proc/mounts, or its
// dma-buf from DAXFS_IOC_DMABUF). One parser and one set of messages for all.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "daxfs/fd.hpp"
#include "daxfs/mounts.hpp"
#include "daxfs/reader.hpp"

namespace daxfs {

struct RegionSpec {
    std::string image;      // an image file
    std::string phys, size; // a physical range
    std::string mount;      // a mount point of the region
    std::string dax;        // a device-DAX device ("/dev/dax0.0" or "dax0.0")

    // Nothing named: the programs that allow it take the one daxfs region mounted.
    bool empty() const { return image.empty() && phys.empty() && mount.empty() && dax.empty(); }
    // A one-line reason when the spec is given wrongly (two kinds at once, --phys without
    // --size, a number that does not parse), else an empty string.
    std::string usage_error() const;
    // How messages name it: the file, "phys ADDR+SIZE", "the region mounted at MNT".
    std::string name() const;
    // The physical range of a --phys/--size, -D, -m or empty spec (empty: the one region
    // mounted); daxfs::Error for an image file or when /proc/mounts does not say.
    std::pair<std::uint64_t, std::uint64_t> physical() const;
    // What mount(2) needs to mount a branch of this region (source, phys=/size=/dax=).
    RegionMount mount_base() const;
    // The mount of a -m or empty spec (empty: the one region mounted); daxfs::Error when
    // there is none (or several).
    DaxfsMount mounted() const;
    // Its bytes, mapped read-only. An IMAGE that is a character device is read as -D; a
    // dma-buf region through a descriptor from its mount.
    std::shared_ptr<Mapping> map() const;
    // The image in it (superblock checked; daxfs::Error otherwise).
    Image open() const;
};

// Add --phys ADDR, --size SIZE and -D/--dax DEV to @app for @spec, and with @mount also
// -m/--mount MNT.
void add_region_options(CLI::App &app, RegionSpec &spec, bool mount);

} // namespace daxfs
