// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "devices.hpp"

#include <fmt/format.h>

#include "daxfs/branches.hpp"
#include "daxfs/daxdev.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fd.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/size.hpp"
#include "describe.hpp"

namespace inspect {

namespace {

// Read the superblock through the block device or a mapping of the dax device.
void probe(DeviceRow &row) {
    if (row.mode == "system-ram")
        return;
    try {
        daxfs::Mapping map;
        if (row.mode == "devdax")
            map = daxfs::map_dax_device(daxfs::find_dax_device(row.name), false);
        else
            map = daxfs::map_file_readonly(row.path().c_str());
        const auto bytes = map.bytes();
        if (bytes.size() < sizeof(std::uint32_t))
            return;
        try {
            const daxfs::Image image(bytes);
            row.image = DeviceImage{uuid_string(image.geo().uuid), daxfs::has_branches(image)};
        } catch (const daxfs::Error &) {
            // no superblock (or a damaged one): not a DAXFS image
        }
    } catch (const daxfs::Error &e) {
        row.probe_error = e.what();
    }
}

bool mounted_from(const DeviceRow &row, const daxfs::DaxfsMount &m) {
    if (m.source == row.path() || (!m.dax.empty() && m.dax == row.name))
        return true;
    return row.start && m.phys >= row.start && m.phys - row.start < row.size;
}

DeviceRow row(std::string name, std::string mode, std::string ns, std::string region,
              std::uint64_t start, std::uint64_t size, std::uint64_t align) {
    DeviceRow r;
    r.name = std::move(name);
    r.mode = std::move(mode);
    r.namespace_ = std::move(ns);
    r.region = std::move(region);
    r.start = start;
    r.size = size;
    r.align = align;
    return r;
}

std::string range(std::uint64_t start, std::uint64_t size) {
    return start ? fmt::format("0x{:x}+{}", start, daxfs::human_bytes(size))
                 : fmt::format("{}", daxfs::human_bytes(size));
}

} // namespace

Inventory take_inventory() {
    Inventory inv;
    inv.regions = daxfs::nvdimm_regions();
    inv.ranges = daxfs::discover_memory();
    for (const auto &r : inv.regions)
        for (const auto &n : r.namespaces) {
            if (n.device.empty())
                continue;
            inv.devices.push_back(row(n.device, n.mode, n.name, r.name, n.start, n.size, n.align));
        }
    std::vector<daxfs::DaxDevice> daxdevs;
    try {
        daxdevs = daxfs::dax_devices();
    } catch (const daxfs::Error &) {
        // no libdaxctl context: no device-DAX devices
    }
    for (const auto &d : daxdevs) {
        auto same = [&](const DeviceRow &r) { return r.name == d.name; };
        auto it = std::find_if(inv.devices.begin(), inv.devices.end(), same);
        if (it == inv.devices.end()) { // a dax device of no NVDIMM namespace (hmem, CXL)
            inv.devices.push_back(row(d.name, d.system_ram ? "system-ram" : "devdax", "", d.region,
                                      d.start, d.size, d.align));
        } else { // the device's own range: where the image starts
            it->start = d.start;
            it->size = d.size;
            if (d.system_ram)
                it->mode = "system-ram";
        }
    }
    const auto mounts = daxfs::daxfs_mounts();
    for (auto &dev : inv.devices) {
        probe(dev);
        for (const auto &m : mounts)
            if (mounted_from(dev, m))
                dev.mounts.push_back(m);
    }
    return inv;
}

nlohmann::json inventory_json(const Inventory &inv) {
    nlohmann::json regions = nlohmann::json::array(), devices = nlohmann::json::array(),
                   ranges = nlohmann::json::array();
    for (const auto &r : inv.regions) {
        nlohmann::json ns = nlohmann::json::array();
        for (const auto &n : r.namespaces)
            ns.push_back({{"name", n.name},
                          {"mode", n.mode},
                          {"device", n.device},
                          {"size", n.size},
                          {"align", n.align}});
        regions.push_back({{"name", r.name},
                           {"type", r.type},
                           {"start", r.start},
                           {"size", r.size},
                           {"namespaces", ns}});
    }
    for (const auto &d : inv.devices) {
        nlohmann::json j = {
            {"name", d.name},
            {"path", d.path()},
            {"mode", d.mode},
            {"namespace", d.namespace_.empty() ? nlohmann::json() : nlohmann::json(d.namespace_)},
            {"region", d.region},
            {"start", d.start},
            {"size", d.size},
            {"align", d.align}};
        j["daxfs"] = d.image
                         ? nlohmann::json{{"uuid", d.image->uuid}, {"branches", d.image->branches}}
                         : nlohmann::json();
        if (!d.probe_error.empty())
            j["error"] = d.probe_error;
        nlohmann::json mounts = nlohmann::json::array();
        for (const auto &m : d.mounts)
            mounts.push_back({{"dir", m.dir}, {"branch", m.branch}, {"read_only", m.read_only}});
        j["mounts"] = mounts;
        devices.push_back(j);
    }
    for (const auto &r : inv.ranges)
        ranges.push_back({{"name", r.name}, {"start", r.start}, {"size", r.size}});
    return {{"regions", regions}, {"devices", devices}, {"ranges", ranges}};
}

std::string inventory_text(const Inventory &inv) {
    std::string out;
    if (inv.regions.empty() && inv.devices.empty())
        out += "no NVDIMM regions or DAX devices\n";
    for (const auto &r : inv.regions)
        out += fmt::format("{:<12} {:<6} {}, {} namespaces\n", r.name, r.type,
                           range(r.start, r.size), r.namespaces.size());
    for (const auto &d : inv.devices) {
        std::string what = "no daxfs image";
        if (d.image)
            what = fmt::format("daxfs {}{}", d.image->uuid, d.image->branches ? ", branches" : "");
        else if (!d.probe_error.empty())
            what = "unreadable: " + d.probe_error;
        out += fmt::format("{:<12} {:<10} {:<13} {:<8} {}: {}\n", d.path(), d.mode,
                           d.namespace_.empty() ? "-" : d.namespace_, d.region,
                           range(d.start, d.size), what);
        for (const auto &m : d.mounts)
            out += fmt::format("{:<12} mounted at {} (branch {}{})\n", "", m.dir, m.branch,
                               m.read_only ? ", read-only" : "");
    }
    for (const auto &r : inv.ranges)
        out += fmt::format("{:<30} phys=0x{:x},size={}\n", r.name, r.start, r.size);
    if (!inv.ranges.empty() && inv.ranges.front().start == 0)
        out += "(addresses read as 0: run as root to see them)\n";
    return out;
}

} // namespace inspect
