// SPDX-License-Identifier: GPL-2.0 OR MIT
// Finding physical memory an image can live in: persistent-memory ranges the kernel lists
// in /proc/iomem (memmap=...! reservations, pmem). DAX devices and NVDIMM namespaces come
// from daxdev.hpp and nvdimm.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxfs {

struct MemoryRange {
    std::string name;   // "Persistent Memory (legacy)", ...
    std::string source; // "iomem"
    std::uint64_t start;
    std::uint64_t size;
};

// Parse /proc/iomem style text: top-level "start-end : name" lines whose name says
// persistent memory.
std::vector<MemoryRange> parse_iomem(const std::string &text);

// This machine's; addresses read as 0 when not root (the kernel hides them). Never throws.
std::vector<MemoryRange> discover_memory();

} // namespace daxfs
