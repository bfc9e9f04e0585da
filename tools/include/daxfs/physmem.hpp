// SPDX-License-Identifier: GPL-2.0 OR MIT
// Physical memory through /dev/mem (MAP_SHARED), for writing images into a reserved range
// (mkdaxfs -p) and reading them back (daxfs-inspect --phys). The mapping is write-back
// cached, the same memory type as a daxfs mount's, so the two can coexist (x86 PAT refuses
// an uncached /dev/mem mapping of a range the kernel maps write-back) and a mount on the
// same host sees what was written.
#pragma once

#include <cstdint>

#include "daxfs/fd.hpp"

namespace daxfs {

// Map [addr, addr + size) of physical memory; @addr need not be page aligned. Throws
// daxfs::Error with a one-line reason if /dev/mem refuses.
Mapping map_phys(std::uint64_t addr, std::uint64_t size, bool writable);

} // namespace daxfs
