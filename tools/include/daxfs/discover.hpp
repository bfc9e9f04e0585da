// SPDX-License-Identifier: GPL-2.0 OR MIT
// Finding physical memory an image can live in: persistent-memory ranges the kernel lists
// in /proc/iomem (memmap=...! reservations, pmem) and DAX devices (through libdaxctl when
// built with it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace daxfs {

struct MemoryRange {
    std::string name;   // "Persistent Memory (legacy)", "dax0.0", ...
    std::string source; // "iomem" or "daxctl"
    std::uint64_t start;
    std::uint64_t size;
};

// Parse /proc/iomem style text: top-level "start-end : name" lines whose name says
// persistent memory.
std::vector<MemoryRange> parse_iomem(const std::string &text);

// Everything found on this machine; addresses read as 0 when not root (the kernel hides
// them). Never throws for a missing source.
std::vector<MemoryRange> discover_memory();

// Whether this build can list DAX devices (libdaxctl).
bool have_daxctl();

} // namespace daxfs
