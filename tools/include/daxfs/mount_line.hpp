// SPDX-License-Identifier: GPL-2.0 OR MIT
// The mount command mkdaxfs prints for where it wrote an image.
#pragma once

#include <string>

namespace daxfs {

// "mount -t daxfs -o dax=/dev/dax0.0 none /mnt" (mount.daxfs finds the range).
std::string dax_mount_line(const std::string &dev);

// "mount -t daxfs /dev/pmem0 /mnt" when @path is a block device, else "".
std::string block_mount_line(const std::string &path);

} // namespace daxfs
