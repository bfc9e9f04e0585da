// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/physmem.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daxfs/error.hpp"

namespace daxfs {

Mapping map_phys(std::uint64_t addr, std::uint64_t size, bool writable) {
    if (!size)
        throw Error(EINVAL, "physical range of 0 bytes");
    if (addr + size < addr)
        throw Error(EINVAL, "physical range wraps around");
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t base = addr / page * page, lead = addr - base;
    const std::uint64_t len = (lead + size + page - 1) / page * page;
    UniqueFd fd(::open("/dev/mem", (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC));
    if (!fd)
        throw Error(errno, fmt::format("cannot open /dev/mem: {}{}", std::strerror(errno),
                                       errno == EACCES ? " (run as root)" : ""));
    void *p = ::mmap(nullptr, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd.get(),
                     static_cast<off_t>(base));
    if (p == MAP_FAILED)
        throw Error(errno, fmt::format("/dev/mem refuses to map 0x{:x}+0x{:x}: {}", addr, size,
                                       std::strerror(errno)));
    return Mapping(p, len, {static_cast<std::byte *>(p) + lead, static_cast<std::size_t>(size)});
}

} // namespace daxfs
