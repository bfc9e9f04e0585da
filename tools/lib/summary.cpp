// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/summary.hpp"

#include <sys/stat.h>

namespace daxfs {

Counts count_image(const Image &image) {
    Counts c;
    c.inodes = image.geo().inode_count;
    for (std::uint64_t ino = 1; ino <= c.inodes; ino++) {
        const daxfs_ino in = image.inode(ino);
        switch (in.mode & S_IFMT) {
        case S_IFREG:
            c.files++;
            c.data_bytes += in.size;
            break;
        case S_IFDIR:
            c.dirs++;
            break;
        case S_IFLNK:
            c.symlinks++;
            break;
        default:
            c.specials++;
        }
        if (!S_ISDIR(in.mode))
            c.hardlinks += in.nlink - 1;
    }
    return c;
}

} // namespace daxfs
