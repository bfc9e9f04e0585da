// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "daxfs/error.hpp"
#include "daxfs/size.hpp"
#include "daxfs_format.h"

namespace daxfs {

FileSink::FileSink(std::string path) : path_(std::move(path)) {}

void FileSink::reserve(std::uint64_t image_size) {
    struct stat st;
    if (!::stat(path_.c_str(), &st) && S_ISBLK(st.st_mode)) {
        reserve_device(image_size);
        return;
    }
    fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_)
        throw_sys(errno, "cannot create", path_);
    if (::fstat(fd_.get(), &st))
        throw_sys(errno, "cannot stat", path_);
    if (S_ISBLK(st.st_mode)) // it became one since the stat above
        throw Error(EBUSY, fmt::format("'{}' changed while being opened", path_));
    if (::ftruncate(fd_.get(), 0) || ::ftruncate(fd_.get(), static_cast<off_t>(image_size)))
        throw_sys(errno, "cannot write", path_);
}

// A block device (/dev/pmem0): opened exclusively (the kernel refuses it while it is mounted
// or otherwise claimed), never truncated; the image must fit in BLKGETSIZE64 bytes. The old
// superblock is cleared first, so a half-written device never looks like an image.
void FileSink::reserve_device(std::uint64_t image_size) {
    fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_EXCL | O_CLOEXEC));
    if (!fd_ && errno == EBUSY)
        throw Error(EBUSY,
                    fmt::format("'{}' is in use (mounted, or held by another program)", path_));
    if (!fd_)
        throw_sys(errno, "cannot open", path_);
    device_ = true;
    check_fits(image_size, file_size(fd_.get(), path_));
    const std::vector<std::byte> zero(sizeof(daxfs_super));
    write(0, zero);
}

void FileSink::write(std::uint64_t off, std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::pwrite(fd_.get(), bytes.data(), bytes.size(), static_cast<off_t>(off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_sys(errno, "cannot write", path_);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        off += static_cast<std::uint64_t>(n);
    }
}

void FileSink::finish() {
    if (device_ && ::fsync(fd_.get()))
        throw_sys(errno, "cannot write", path_);
    if (::close(fd_.get()) && errno != EINTR)
        throw_sys(errno, "cannot write", path_);
    (void)fd_.release();
}

void check_fits(std::uint64_t image_size, std::uint64_t region_size) {
    if (image_size > region_size)
        throw Error(ENOSPC, fmt::format("image needs {} bytes ({}) but the region holds {} bytes",
                                        image_size, human_bytes(image_size), region_size));
}

void MemorySink::reserve(std::uint64_t image_size) {
    check_fits(image_size, region_.size());
    // An image already there stops being one before its data is overwritten; the new
    // superblock is written last.
    std::memset(region_.data(), 0, std::min<std::size_t>(region_.size(), sizeof(daxfs_super)));
}

void MemorySink::write(std::uint64_t off, std::span<const std::byte> bytes) {
    std::memcpy(region_.data() + off, bytes.data(), bytes.size());
}

void VectorSink::write(std::uint64_t off, std::span<const std::byte> b) {
    std::memcpy(bytes.data() + off, b.data(), b.size());
}

} // namespace daxfs
