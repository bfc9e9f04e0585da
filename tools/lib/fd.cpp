// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/fd.hpp"

#include <cerrno>
#include <fcntl.h>
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
    auto len = static_cast<std::size_t>(st.st_size);
    if (len == 0)
        return {};
    void *p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        throw_sys(errno, "cannot map", path);
    return Mapping(p, len, {static_cast<std::byte *>(p), len});
}

} // namespace daxfs
