// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-bench: owned file descriptors and errno messages, for every benchmark.
#include "bench.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace bench {

std::string errno_msg(const std::string &what) { return what + ": " + std::strerror(errno); }

Fd::Fd(const std::filesystem::path &p, int flags, mode_t mode)
    : fd_(::open(p.c_str(), flags | O_CLOEXEC, mode)) {
    if (fd_ < 0)
        throw Error(errno_msg("open " + p.string()));
}

Fd::~Fd() {
    if (fd_ >= 0)
        ::close(fd_);
}

} // namespace bench
