// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "heap.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <sys/stat.h>

#include "daxfs/dmabuf.hpp"
#include "daxfs/error.hpp"

namespace mkdaxfs {

void write_to_heap(const std::string &heap, std::uint64_t size, const std::string &mnt,
                   const std::function<void(std::span<std::byte>)> &write) {
    struct stat st;
    if (::stat(mnt.c_str(), &st))
        daxfs::throw_sys(errno, "cannot use mount point", mnt);
    if (!S_ISDIR(st.st_mode))
        throw daxfs::Error(ENOTDIR, fmt::format("mount point '{}' is not a directory", mnt));
    const daxfs::UniqueFd buf = daxfs::alloc_dmabuf(heap, size);
    {
        const daxfs::DmabufWriter mem(buf.get(), size);
        write(mem.bytes());
    }
    daxfs::mount_dmabuf(buf.get(), mnt, {});
}

} // namespace mkdaxfs
