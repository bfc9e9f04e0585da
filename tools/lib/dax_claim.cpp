// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/dax_claim.hpp"

#include <cerrno>
#include <fmt/format.h>

#include "daxfs/error.hpp"
#include "daxfs/mounts.hpp"

namespace daxfs {

DaxDevice dax_device_for_writing(const std::string &arg) {
    DaxDevice dev = find_dax_device(arg);
    for (const DaxfsMount &m : daxfs_mounts()) {
        const bool named = m.dax == dev.name || m.source == dev.path();
        const bool inside = dev.start && m.phys >= dev.start && m.phys - dev.start < dev.size;
        if (named || inside)
            throw Error(EBUSY, fmt::format("{} is in use: daxfs is mounted from it at {} "
                                           "(unmount it first)",
                                           dev.path(), m.dir));
    }
    return dev;
}

Mapping claim_dax_device(const DaxDevice &dev) { return map_dax_device(dev, true); }

} // namespace daxfs
