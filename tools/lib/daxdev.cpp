// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/daxdev.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <daxctl/libdaxctl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "daxfs/error.hpp"

namespace daxfs {

namespace {

struct CtxUnref {
    void operator()(daxctl_ctx *c) const { daxctl_unref(c); }
};
using DaxCtx = std::unique_ptr<daxctl_ctx, CtxUnref>;

DaxCtx new_ctx() {
    daxctl_ctx *c = nullptr;
    if (int rc = daxctl_new(&c); rc < 0)
        throw Error(-rc, fmt::format("libdaxctl: {}", std::strerror(-rc)));
    daxctl_set_log_priority(c, 0); // errors are ours to report
    return DaxCtx(c);
}

DaxDevice describe(daxctl_dev *dev) {
    DaxDevice d;
    d.name = daxctl_dev_get_devname(dev);
    d.region = fmt::format("region{}", daxctl_region_get_id(daxctl_dev_get_region(dev)));
    const unsigned long long start = daxctl_dev_get_resource(dev);
    d.start = start == ULLONG_MAX ? 0 : start;
    d.size = daxctl_dev_get_size(dev);
    d.align = daxctl_dev_get_align(dev);
    d.enabled = daxctl_dev_is_enabled(dev);
    d.system_ram = d.enabled && daxctl_dev_get_memory(dev) != nullptr &&
                   daxctl_memory_num_sections(daxctl_dev_get_memory(dev)) > 0;
    return d;
}

// A path that is a character device: the dax device with its major:minor.
std::string name_by_devnum(const std::string &path, daxctl_ctx *ctx) {
    struct stat st;
    if (::stat(path.c_str(), &st) || !S_ISCHR(st.st_mode))
        return {};
    daxctl_region *region;
    daxctl_region_foreach(ctx, region) {
        daxctl_dev *dev;
        daxctl_dev_foreach(region, dev) {
            if (static_cast<unsigned>(daxctl_dev_get_major(dev)) == major(st.st_rdev) &&
                static_cast<unsigned>(daxctl_dev_get_minor(dev)) == minor(st.st_rdev))
                return daxctl_dev_get_devname(dev);
        }
    }
    return {};
}

} // namespace

std::string dax_device_name(const std::string &arg) {
    std::string n = arg.starts_with("/dev/") ? arg.substr(5) : arg;
    if (!n.starts_with("dax") || n.size() < 6)
        return {};
    const auto dot = n.find('.');
    if (dot == std::string::npos || dot == 3 || dot + 1 == n.size())
        return {};
    for (std::size_t i = 3; i < n.size(); i++)
        if (i != dot && (n[i] < '0' || n[i] > '9'))
            return {};
    return n;
}

std::vector<DaxDevice> dax_devices() {
    std::vector<DaxDevice> out;
    DaxCtx ctx = new_ctx();
    daxctl_region *region;
    daxctl_region_foreach(ctx.get(), region) {
        daxctl_dev *dev;
        daxctl_dev_foreach(region, dev) {
            if (daxctl_dev_get_size(dev)) // the seed device of a region: nothing there
                out.push_back(describe(dev));
        }
    }
    return out;
}

DaxDevice find_dax_device(const std::string &arg) {
    const auto devs = dax_devices();
    std::string name = dax_device_name(arg);
    if (name.empty()) {
        DaxCtx ctx = new_ctx();
        name = name_by_devnum(arg, ctx.get());
    }
    if (name.empty())
        throw Error(ENODEV, fmt::format("'{}' is not a device-DAX device (want /dev/daxX.Y)", arg));
    for (const DaxDevice &d : devs) {
        if (d.name != name)
            continue;
        if (d.system_ram)
            throw Error(EBUSY, fmt::format("{} is in system-ram mode (its memory belongs to the "
                                           "kernel): daxctl reconfigure-device -m devdax {}",
                                           d.name, d.name));
        if (!d.enabled)
            throw Error(ENODEV,
                        fmt::format("{} is disabled: daxctl enable-device {}", d.name, d.name));
        return d;
    }
    throw Error(ENODEV, fmt::format("no device-DAX device {} (see daxctl list, or "
                                    "daxfs-inspect devices)",
                                    name));
}

const DaxDevice *dax_device_of(const std::vector<DaxDevice> &devices, std::uint64_t start,
                               std::uint64_t size) {
    for (const DaxDevice &d : devices)
        if (d.start && start >= d.start && start - d.start < d.size &&
            size <= d.size - (start - d.start))
            return &d;
    return nullptr;
}

Mapping map_dax_device(const DaxDevice &dev, bool writable) {
    const std::string path = dev.path();
    UniqueFd fd(::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!fd)
        throw_sys(errno, "cannot open", path);
    if (writable && ::flock(fd.get(), LOCK_EX | LOCK_NB))
        throw Error(EBUSY, fmt::format("{} is in use: another program is writing it", path));
    if (dev.align && dev.size % dev.align)
        throw Error(EINVAL, fmt::format("{}: size {} is not a multiple of its alignment {}", path,
                                        dev.size, dev.align));
    void *p =
        ::mmap(nullptr, dev.size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        throw_sys(errno, "cannot map", path);
    const auto len = static_cast<std::size_t>(dev.size);
    // The lock lives as long as the open file: the descriptor is closed with the mapping.
    return Mapping(p, len, {static_cast<std::byte *>(p), len}, std::move(fd));
}

} // namespace daxfs
