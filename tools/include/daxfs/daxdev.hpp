// SPDX-License-Identifier: GPL-2.0 OR MIT
// Device-DAX character devices (/dev/daxX.Y) through libdaxctl: finding one by name, its
// physical range, size and mapping alignment, and mapping it. The mapping is how images
// are written to and read from a devdax device (mkdaxfs -D, daxfs-inspect -D, ...): the
// kernel only accepts mmap() of whole alignment units, never read()/write().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daxfs/fd.hpp"

namespace daxfs {

struct DaxDevice {
    std::string name;        // "dax0.0"
    std::string region;      // "region0" (the dax region; for pmem, the nd region's id)
    std::uint64_t start = 0; // physical address (0 when the kernel hides it: not root)
    std::uint64_t size = 0;
    std::uint64_t align = 0; // mmap() offsets and lengths must be multiples of it
    bool enabled = false;    // bound to a driver
    bool system_ram = false; // handed to the kernel as memory (kmem): no char device
    std::string path() const { return "/dev/" + name; }
};

// "dax0.0" or "/dev/dax0.0" -> "dax0.0"; empty if @arg does not name a dax device that way.
std::string dax_device_name(const std::string &arg);

// Every device-DAX device libdaxctl knows (empty on a machine with none).
std::vector<DaxDevice> dax_devices();

// The device @arg names ("dax0.0", "/dev/dax0.0", or a path that resolves to one);
// daxfs::Error(ENODEV) with a one-line reason when there is no such device or it is not
// usable as a character device (disabled, or in system-ram mode).
DaxDevice find_dax_device(const std::string &arg);

// The device whose physical range holds [start, start + size), if any.
const DaxDevice *dax_device_of(const std::vector<DaxDevice> &devices, std::uint64_t start,
                               std::uint64_t size);

// Map the whole device (MAP_SHARED). Writable mappings take an exclusive advisory lock on
// the device for the life of the mapping, so two writers refuse each other (EBUSY).
Mapping map_dax_device(const DaxDevice &dev, bool writable);

} // namespace daxfs
