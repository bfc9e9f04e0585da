// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/region.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <sys/mman.h>

#include "daxfs/daxdev.hpp"
#include "daxfs/dmabuf.hpp"
#include "daxfs/error.hpp"
#include "daxfs/mounts.hpp"
#include "daxfs/physmem.hpp"
#include "daxfs/size.hpp"

namespace daxfs {

std::string RegionSpec::usage_error() const {
    const int kinds =
        !image.empty() + (!phys.empty() || !size.empty()) + !mount.empty() + !dax.empty();
    if (kinds > 1)
        return "give one of IMAGE, --phys/--size, -D DEV, -m MNT";
    if (phys.empty() != size.empty())
        return "--phys and --size go together";
    for (const std::string *v : {&phys, &size}) {
        try {
            if (!v->empty())
                parse_size(*v);
        } catch (const Error &e) {
            return e.what();
        }
    }
    return {};
}

std::string RegionSpec::name() const {
    if (!image.empty())
        return image;
    if (!phys.empty())
        return fmt::format("phys {}+{}", phys, size);
    if (!mount.empty())
        return fmt::format("the region mounted at {}", mount);
    if (!dax.empty())
        return dax;
    return "the daxfs region mounted";
}

std::pair<std::uint64_t, std::uint64_t> RegionSpec::physical() const {
    if (!image.empty())
        throw Error(EINVAL, fmt::format("{} is an image file, not physical memory", image));
    if (!phys.empty())
        return {parse_size(phys), parse_size(size)};
    if (!dax.empty()) {
        const DaxDevice d = find_dax_device(dax);
        if (!d.start)
            throw Error(EACCES,
                        fmt::format("the physical range of {} is hidden: run as root", d.path()));
        return {d.start, d.size};
    }
    const DaxfsMount m = mounted();
    if (m.dmabuf)
        throw Error(EINVAL, fmt::format("the region mounted at {} is a dma-buf, not physical "
                                        "memory",
                                        m.dir));
    if (!m.phys)
        throw Error(EINVAL, fmt::format("the region mounted at {} is the block device {}, not "
                                        "a physical range",
                                        m.dir, m.source));
    return {m.phys, m.size};
}

RegionMount RegionSpec::mount_base() const {
    if (!image.empty())
        throw Error(EINVAL, fmt::format("{} is an image file: it cannot be mounted", image));
    if (!dax.empty()) {
        const DaxDevice d = find_dax_device(dax);
        const auto [addr, bytes] = physical();
        return {"none", region_options(addr, bytes, d.name)};
    }
    if (!phys.empty()) {
        const auto [addr, bytes] = physical();
        return {"none", region_options(addr, bytes, dax_device_at(addr, bytes))};
    }
    return region_mount(mounted());
}

DaxfsMount RegionSpec::mounted() const { return mount.empty() ? only_region() : mount_at(mount); }

namespace {

// The dma-buf behind a mount, mapped read-only through a descriptor of its own.
Mapping map_mounted_dmabuf(const DaxfsMount &m) {
    const UniqueFd fd = mount_dmabuf_fd(m.dir);
    const auto len = static_cast<std::size_t>(m.size);
    void *p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        throw Error(errno,
                    fmt::format("cannot map the dma-buf of {}: {}", m.dir, std::strerror(errno)));
    return Mapping(p, len, {static_cast<std::byte *>(p), len});
}

} // namespace

std::shared_ptr<Mapping> RegionSpec::map() const {
    struct stat st;
    if (!image.empty() && !::stat(image.c_str(), &st) && S_ISCHR(st.st_mode))
        return std::make_shared<Mapping>(map_dax_device(find_dax_device(image), false));
    if (!image.empty())
        return std::make_shared<Mapping>(map_file_readonly(image.c_str()));
    if (!dax.empty())
        return std::make_shared<Mapping>(map_dax_device(find_dax_device(dax), false));
    if (!phys.empty())
        return std::make_shared<Mapping>(map_phys(parse_size(phys), parse_size(size), false));
    const DaxfsMount m = mounted();
    if (m.dmabuf)
        return std::make_shared<Mapping>(map_mounted_dmabuf(m));
    if (!m.phys) // a region on a block device: read the device
        return std::make_shared<Mapping>(map_file_readonly(m.source.c_str()));
    return std::make_shared<Mapping>(map_phys(m.phys, m.size, false));
}

Image RegionSpec::open() const {
    auto bytes = map();
    return Image(bytes->bytes(), bytes);
}

void add_region_options(CLI::App &app, RegionSpec &spec, bool mount) {
    app.add_option("--phys", spec.phys, "Read the region at physical ADDR (/dev/mem)")
        ->type_name("ADDR");
    app.add_option("--size", spec.size, "Bytes of the region at ADDR (K/M/G, 0x hex)")
        ->type_name("SIZE");
    app.add_option("-D,--dax", spec.dax,
                   "Read the device-DAX device DEV (/dev/daxX.Y), mapped whole; its size "
                   "from libdaxctl")
        ->type_name("DEV");
    if (mount)
        app.add_option("-m,--mount", spec.mount,
                       "Read the region mounted at MNT (phys/size from /proc/mounts, via "
                       "/dev/mem; a dma-buf through the mount)")
            ->type_name("MNT");
}

} // namespace daxfs
