// SPDX-License-Identifier: GPL-2.0 OR MIT
// DAXFS regions in dma-bufs: allocating one (a dma-heap, or udmabuf over a sealed memfd),
// writing it from the CPU, mounting it with the new mount API (fsconfig FSCONFIG_SET_FD
// "dmabuf"), and getting the buffer back from a mount (DAXFS_IOC_DMABUF).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "daxfs/fd.hpp"

namespace daxfs {

// The path of udmabuf's device: given as a heap, the buffer is a memfd's pages.
inline constexpr const char *kUdmabufDevice = "/dev/udmabuf";

// A dma-buf of @size bytes (a multiple of the page size) from @heap: a dma-heap device
// such as /dev/dma_heap/system, or /dev/udmabuf. daxfs::Error with a one-line reason.
UniqueFd alloc_dmabuf(const std::string &heap, std::uint64_t size);

// The dma-buf @fd of @size bytes mapped read-write for the CPU; the access is begun and
// ended around the mapping's life with DMA_BUF_IOCTL_SYNC, as the exporter expects.
class DmabufWriter {
  public:
    DmabufWriter(int fd, std::uint64_t size);
    DmabufWriter(const DmabufWriter &) = delete;
    DmabufWriter &operator=(const DmabufWriter &) = delete;
    ~DmabufWriter();

    std::span<std::byte> bytes() const noexcept { return map_.bytes(); }

  private:
    int fd_;
    Mapping map_;
};

// Mount options other than the buffer: {"branch", "b1"}, {"parent", "main"}.
using MountOptions = std::vector<std::pair<std::string, std::string>>;

// Mount the DAXFS region in dma-buf @fd at directory @dir (fsopen, fsconfig, fsmount,
// move_mount). The mount holds its own reference to the buffer. On failure, daxfs::Error
// whose message is the kernel's reason when it gave one.
void mount_dmabuf(int fd, const std::string &dir, const MountOptions &options);

// A new descriptor of the dma-buf behind the daxfs mount at @mnt (DAXFS_IOC_DMABUF).
UniqueFd mount_dmabuf_fd(const std::string &mnt);

} // namespace daxfs
