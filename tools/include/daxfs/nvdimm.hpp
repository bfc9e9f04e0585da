// SPDX-License-Identifier: GPL-2.0 OR MIT
// NVDIMM regions and their namespaces through libndctl: each namespace's mode (fsdax,
// devdax, raw, sector), the device it shows as (/dev/pmem0, /dev/dax0.0) and its size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxfs {

struct Namespace {
    std::string name;        // "namespace0.0"
    std::string mode;        // "fsdax", "devdax", "raw" or "sector"
    std::string device;      // "pmem0" (a block device) or "dax0.0" (devdax); may be empty
    std::uint64_t start = 0; // physical address of the namespace (0 when hidden: not root)
    std::uint64_t size = 0;  // bytes usable through the device (as ndctl list says)
    std::uint64_t align = 0; // 0 when the mode has none
};

struct NvdimmRegion {
    std::string name; // "region0"
    std::string type; // "pmem", "blk"
    std::uint64_t start = 0, size = 0;
    std::vector<Namespace> namespaces; // the active ones (ndctl list shows these)
};

// Every NVDIMM region libndctl finds (empty on a machine with none; never throws for a
// machine without the nvdimm drivers).
std::vector<NvdimmRegion> nvdimm_regions();

} // namespace daxfs
