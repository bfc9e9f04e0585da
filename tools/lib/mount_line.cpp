// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/mount_line.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include "daxfs/daxdev.hpp"

namespace daxfs {

std::string dax_mount_line(const std::string &dev) {
    const std::string name = dax_device_name(dev);
    return fmt::format("mount -t daxfs -o dax={} none /mnt", name.empty() ? dev : "/dev/" + name);
}

std::string block_mount_line(const std::string &path) {
    struct stat st;
    if (::stat(path.c_str(), &st) || !S_ISBLK(st.st_mode))
        return {};
    return fmt::format("mount -t daxfs {} /mnt", path);
}

} // namespace daxfs
