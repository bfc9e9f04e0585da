// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/dmabuf.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "daxfs/error.hpp"
#include "daxfs_ioctl.h"

namespace daxfs {

namespace {

UniqueFd open_device(const std::string &path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd && errno == ENOENT)
        throw Error(ENOENT, fmt::format("no dma-buf heap '{}' (is it /dev/dma_heap/NAME, and "
                                        "does the kernel have it?)",
                                        path));
    if (!fd)
        throw_sys(errno, "cannot open the heap", path);
    return fd;
}

UniqueFd alloc_heap(const std::string &heap, std::uint64_t size) {
    UniqueFd dev = open_device(heap);
    dma_heap_allocation_data req{};
    req.len = size;
    req.fd_flags = O_RDWR | O_CLOEXEC;
    if (::ioctl(dev.get(), DMA_HEAP_IOCTL_ALLOC, &req))
        throw Error(errno, fmt::format("cannot allocate {} bytes from '{}': {}", size, heap,
                                       std::strerror(errno)));
    return UniqueFd(static_cast<int>(req.fd));
}

// udmabuf wants a memfd that cannot shrink, its size a multiple of the page size.
UniqueFd alloc_udmabuf(const std::string &dev_path, std::uint64_t size) {
    UniqueFd dev = open_device(dev_path);
    UniqueFd mem(::memfd_create("daxfs-region", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem)
        throw_sys(errno, "cannot create a memfd for", dev_path);
    if (::ftruncate(mem.get(), static_cast<off_t>(size)) ||
        ::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK))
        throw_sys(errno, "cannot size the memfd for", dev_path);
    udmabuf_create req{};
    req.memfd = static_cast<__u32>(mem.get());
    req.flags = UDMABUF_FLAGS_CLOEXEC;
    req.size = size;
    const int fd = ::ioctl(dev.get(), UDMABUF_CREATE, &req);
    if (fd < 0)
        throw Error(errno, fmt::format("cannot make a {}-byte dma-buf with '{}': {}", size,
                                       dev_path, std::strerror(errno)));
    return UniqueFd(fd);
}

void sync_dmabuf(int fd, std::uint64_t flags) {
    dma_buf_sync s{flags | DMA_BUF_SYNC_RW};
    while (::ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) && errno == EINTR) {
    }
}

// The messages the kernel left on an fs context ("e daxfs: ..."), joined.
std::string context_messages(int fs) {
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(fs, buf, sizeof(buf) - 1)) > 0;) {
        std::string line(buf, static_cast<std::size_t>(n));
        if (line.size() > 2 && line[1] == ' ')
            line = line.substr(2);
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

[[noreturn]] void mount_failed(int err, int fs, const std::string &dir) {
    const std::string why = fs >= 0 ? context_messages(fs) : std::string();
    throw Error(err, fmt::format("cannot mount the dma-buf at '{}': {}", dir,
                                 why.empty() ? std::strerror(err) : why));
}

} // namespace

UniqueFd alloc_dmabuf(const std::string &heap, std::uint64_t size) {
    if (size == 0 || size % static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)))
        throw Error(EINVAL, fmt::format("a dma-buf of {} bytes: not a multiple of the page "
                                        "size",
                                        size));
    if (heap == kUdmabufDevice)
        return alloc_udmabuf(heap, size);
    return alloc_heap(heap, size);
}

DmabufWriter::DmabufWriter(int fd, std::uint64_t size) : fd_(fd) {
    const auto len = static_cast<std::size_t>(size);
    void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        throw Error(errno, fmt::format("cannot map the dma-buf: {}", std::strerror(errno)));
    map_ = Mapping(p, len, {static_cast<std::byte *>(p), len});
    sync_dmabuf(fd_, DMA_BUF_SYNC_START);
}

DmabufWriter::~DmabufWriter() { sync_dmabuf(fd_, DMA_BUF_SYNC_END); }

void mount_dmabuf(int fd, const std::string &dir, const MountOptions &options) {
    UniqueFd fs(::fsopen("daxfs", FSOPEN_CLOEXEC));
    if (!fs)
        throw Error(errno, errno == ENODEV
                               ? "the kernel has no daxfs (load the module: insmod daxfs.ko)"
                               : fmt::format("fsopen daxfs: {}", std::strerror(errno)));
    if (::fsconfig(fs.get(), FSCONFIG_SET_FD, "dmabuf", nullptr, fd))
        mount_failed(errno, fs.get(), dir);
    for (const auto &[key, value] : options)
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0))
            mount_failed(errno, fs.get(), dir);
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0))
        mount_failed(errno, fs.get(), dir);
    UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
    if (!mnt)
        mount_failed(errno, fs.get(), dir);
    if (::move_mount(mnt.get(), "", AT_FDCWD, dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH))
        throw_sys(errno, "cannot attach the mount at", dir);
}

UniqueFd mount_dmabuf_fd(const std::string &mnt) {
    UniqueFd dir(::open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        throw_sys(errno, "cannot open", mnt);
    const int fd = ::ioctl(dir.get(), DAXFS_IOC_DMABUF);
    if (fd >= 0)
        return UniqueFd(fd);
    if (errno == ENODEV)
        throw Error(ENODEV, fmt::format("'{}' is not a mount of a dma-buf", mnt));
    if (errno == ENOTTY || errno == EINVAL)
        throw Error(errno, fmt::format("'{}' is not a daxfs mount (or its module has no "
                                       "dma-buf support)",
                                       mnt));
    throw_sys(errno, "cannot get the dma-buf of", mnt);
}

} // namespace daxfs
