// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfs/error.hpp"

namespace daxfs {

UniqueFd &UniqueFd::operator=(UniqueFd &&o) noexcept {
    if (this != &o) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0)
        ::close(fd_);
}

Mapping &Mapping::operator=(Mapping &&o) noexcept {
    if (this != &o) {
        if (base_)
            ::munmap(base_, len_);
        base_ = std::exchange(o.base_, nullptr);
        len_ = std::exchange(o.len_, 0);
        bytes_ = std::exchange(o.bytes_, {});
        fd_ = std::move(o.fd_);
    }
    return *this;
}

Mapping::~Mapping() {
    if (base_)
        ::munmap(base_, len_);
}

Mapping map_file_readonly(const char *path) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw_sys(errno, "cannot open", path);
    struct stat st;
    if (::fstat(fd.get(), &st))
        throw_sys(errno, "cannot stat", path);
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        throw Error(EINVAL, std::string("'") + path + "' is not a regular file");
    auto len = static_cast<std::size_t>(file_size(fd.get(), path));
    if (len == 0)
        return {};
    void *p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        throw_sys(errno, "cannot map", path);
    return Mapping(p, len, {static_cast<std::byte *>(p), len});
}

std::uint64_t file_size(int fd, const std::string &path) {
    struct stat st;
    if (::fstat(fd, &st))
        throw_sys(errno, "cannot stat", path);
    if (!S_ISBLK(st.st_mode))
        return static_cast<std::uint64_t>(st.st_size);
    std::uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes))
        throw_sys(errno, "cannot get the size of", path);
    return bytes;
}

std::optional<std::uint64_t> block_device_size(const std::string &path) {
    struct stat st;
    if (path.empty() || ::stat(path.c_str(), &st) || !S_ISBLK(st.st_mode))
        return std::nullopt;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw_sys(errno, "cannot open", path);
    return file_size(fd.get(), path);
}

UniqueFd open_source(const std::string &path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME));
    if (!fd && errno == EPERM)
        fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        throw_sys(errno, "cannot read", path);
    return fd;
}

void read_exact(int fd, std::span<std::byte> into, const std::string &path) {
    while (!into.empty()) {
        ssize_t n = ::read(fd, into.data(), into.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_sys(errno, "cannot read", path);
        }
        if (n == 0)
            throw Error(EIO, "'" + path + "' shrank while it was being read");
        into = into.subspan(static_cast<std::size_t>(n));
    }
}

} // namespace daxfs
