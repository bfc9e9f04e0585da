// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/devnum.hpp"

#include <sys/sysmacros.h>

namespace daxfs {

// The kernel's 32-bit device encoding: 12 bits of major, 20 bits of minor, with the low
// 8 bits of the minor at the bottom (as new_encode_dev()).
std::uint32_t encode_dev(dev_t dev) {
    std::uint32_t ma = major(dev), mi = minor(dev);
    return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

dev_t decode_dev(std::uint32_t e) {
    std::uint32_t ma = (e & 0xfff00) >> 8;
    std::uint32_t mi = (e & 0xff) | ((e >> 12) & 0xfff00);
    return makedev(ma, mi);
}

} // namespace daxfs
