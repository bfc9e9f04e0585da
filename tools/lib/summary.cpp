// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/summary.hpp"

namespace daxfs {

Counts count_image(const Image &image) {
    Counts c;
    for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++) {
        const daxfs_ino in = image.inode(ino);
        count_inode(c, in.mode, in.size, in.nlink);
    }
    return c;
}

nlohmann::json counts_json(const Counts &c) {
    return {{"inodes", c.inodes},        {"files", c.files},         {"dirs", c.dirs},
            {"symlinks", c.symlinks},    {"hardlinks", c.hardlinks}, {"specials", c.specials},
            {"data_bytes", c.data_bytes}};
}

} // namespace daxfs
