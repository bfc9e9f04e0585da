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

void write_file(const std::string &path, std::span<const unsigned char> data) {
    Fd fd = open_at(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n <= 0)
            throw_errno("cannot write", path);
        done += static_cast<std::size_t>(n);
    }
}

} // namespace daxfs::test
