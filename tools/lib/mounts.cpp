// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/mounts.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "daxfs/daxdev.hpp"
#include "daxfs/error.hpp"
#include "daxfs/mount_options.hpp"
#include "daxfs/size.hpp"

namespace daxfs {

namespace {

// /proc/mounts writes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string &s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const std::string oct = s.substr(i + 1, 3);
            if (oct.find_first_not_of("01234567") == std::string::npos) {
                out += static_cast<char>(std::strtol(oct.c_str(), nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::optional<DaxfsMount> parse_line(const std::string &line) {
    std::istringstream in(line);
    std::string dev, dir, type, opts;
    if (!(in >> dev >> dir >> type >> opts) || type != "daxfs")
        return std::nullopt;
    DaxfsMount m{unescape(dir), 0, 0, "main", false, unescape(dev), "", 0};
    bool phys = false, size = false;
    for (const std::string &o : split_options(opts)) {
        const auto eq = o.find('=');
        const std::string key = o.substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : o.substr(eq + 1);
        try {
            if (key == "phys") {
                m.phys = parse_size(value);
                phys = true;
            } else if (key == "size") {
                m.size = parse_size(value);
                size = true;
            } else if (key == "dmabuf") {
                m.dmabuf = parse_size(value);
            }
        } catch (const Error &) {
            return std::nullopt;
        }
        if (key == "branch")
            m.branch = value;
        else if (key == "dax")
            m.dax = dax_device_name(value).empty() ? value : dax_device_name(value);
        else if (key == "ro")
            m.read_only = true;
    }
    if ((phys || m.dmabuf) && size)
        return m;
    if (!phys && !size && m.source.starts_with("/dev/")) // a block device the kernel opened
        return m;
    return std::nullopt;
}

// The canonical path; for a mount whose branch is dead (ESTALE on everything under it)
// the path as given, without trailing slashes.
std::string real(const std::string &path) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf))
        return buf;
    if (errno != ESTALE)
        throw_sys(errno, "cannot resolve", path);
    std::string p = path;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    return p;
}

} // namespace

std::vector<DaxfsMount> parse_mounts(const std::string &text) {
    std::vector<DaxfsMount> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (auto m = parse_line(line))
            out.push_back(*m);
    return out;
}

std::vector<DaxfsMount> daxfs_mounts() {
    std::ifstream in("/proc/mounts");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_mounts(ss.str());
}

DaxfsMount mount_at(const std::string &dir) {
    const std::string want = real(dir);
    const auto mounts = daxfs_mounts();
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) // the last mount on top
        if (it->dir == want)
            return *it;
    throw Error(EINVAL, fmt::format("'{}' is not a daxfs mount point", dir));
}

DaxfsMount only_region() {
    const auto mounts = daxfs_mounts();
    std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::string>> regions;
    for (const auto &m : mounts)
        regions.insert({m.phys, m.size, m.dmabuf, m.phys || m.dmabuf ? "" : m.source});
    if (regions.empty())
        throw Error(ENOENT, "no daxfs region is mounted: give --phys ADDR --size SIZE");
    if (regions.size() > 1)
        throw Error(EINVAL, fmt::format("{} daxfs regions are mounted: say which with --phys "
                                        "ADDR --size SIZE or --from MNT",
                                        regions.size()));
    return mounts.front();
}

std::string branch_mount_options(std::uint64_t phys, std::uint64_t size, const std::string &name,
                                 const std::optional<std::string> &parent) {
    return branch_mount_options(RegionMount{"none", region_options(phys, size, "")}, name, parent);
}

std::string branch_mount_options(const RegionMount &base, const std::string &name,
                                 const std::optional<std::string> &parent) {
    std::string o = base.options;
    o += fmt::format("{}branch={}", o.empty() ? "" : ",", name);
    if (parent)
        o += ",parent=" + *parent;
    return o;
}

std::string region_options(std::uint64_t phys, std::uint64_t size, const std::string &dax) {
    std::string o = fmt::format("phys=0x{:x},size={}", phys, size);
    if (!dax.empty())
        o += ",dax=" + dax;
    return o;
}

RegionMount region_mount(const DaxfsMount &m) {
    if (!m.phys && !m.size)
        return {m.source, ""};
    std::string dax = m.dax;
    if (dax.empty())
        dax = dax_device_at(m.phys, m.size);
    return {"none", region_options(m.phys, m.size, dax)};
}

std::string dax_device_at(std::uint64_t phys, std::uint64_t size) {
    try {
        const auto devices = dax_devices();
        const DaxDevice *d = dax_device_of(devices, phys, size);
        return d ? d->name : "";
    } catch (const Error &) {
        return ""; // no libdaxctl context: no device-DAX devices either
    }
}

} // namespace daxfs
