// SPDX-License-Identifier: GPL-2.0 OR MIT
// Physical memory through /dev/mem (O_SYNC, MAP_SHARED), for writing images into a
// reserved range (mkdaxfs -p) and reading them back (daxfs-inspect --phys).
#pragma once

#include <cstdint>

#include "daxfs/fd.hpp"

namespace daxfs {

// Map [addr, addr + size) of physical memory; @addr need not be page aligned. Throws
// daxfs::Error with a one-line reason if /dev/mem refuses.
Mapping map_phys(std::uint64_t addr, std::uint64_t size, bool writable);

} // namespace daxfs
