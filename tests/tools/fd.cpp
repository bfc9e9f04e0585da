#include "fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>

namespace daxfs::test {

void throw_errno(std::string_view what, std::string_view path) {
    throw std::system_error(errno, std::generic_category(),
                            std::string(what) + " '" + std::string(path) + "'");
}

void Fd::reset(int fd) {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = fd;
}

Fd open_at(int dir, const std::string &name, int flags, mode_t mode) {
    int fd = ::openat(dir, name.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0)
        throw_errno("cannot open", name);
    return Fd(fd);
}

Fd open_dir(int dir, const std::string &name) {
    return open_at(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

} // namespace daxfs::test
