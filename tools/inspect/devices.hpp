// SPDX-License-Identifier: GPL-2.0 OR MIT
// `daxfs-inspect devices`: the NVDIMM regions, the devices of their namespaces (fsdax,
// devdax, raw, sector) and other device-DAX devices, each with its size, range and mode,
// whether it holds a DAXFS image (uuid, branches) and what is mounted from it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daxfs/discover.hpp"
#include "daxfs/mounts.hpp"
#include "daxfs/nvdimm.hpp"

namespace inspect {

struct DeviceImage {
    std::string uuid;
    bool branches = false;
};

struct DeviceRow {
    std::string name;       // "pmem0", "dax0.0"
    std::string mode;       // fsdax, devdax, raw, sector, system-ram
    std::string namespace_; // "namespace0.0", or empty for a dax device of no namespace
    std::string region;     // "region0"
    std::uint64_t start = 0, size = 0, align = 0;
    std::optional<DeviceImage> image; // a DAXFS superblock is there
    std::string probe_error;          // why the device could not be read (not root, ...)
    std::vector<daxfs::DaxfsMount> mounts;
    std::string path() const { return "/dev/" + name; }
};

struct Inventory {
    std::vector<daxfs::NvdimmRegion> regions;
    std::vector<DeviceRow> devices;
    std::vector<daxfs::MemoryRange> ranges; // /proc/iomem persistent memory
};

// This machine's (libndctl, libdaxctl, /proc/iomem, /proc/mounts); reads each device's
// superblock.
Inventory take_inventory();

nlohmann::json inventory_json(const Inventory &inv);
std::string inventory_text(const Inventory &inv);

} // namespace inspect
