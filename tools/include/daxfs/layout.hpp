// SPDX-License-Identifier: GPL-2.0 OR MIT
// Where everything of a Tree goes in an image: inode numbers and byte offsets. Pure
// computation, no I/O; the same Tree always gives the same Layout.
#pragma once

#include <cstdint>
#include <vector>

#include "daxfs/tree.hpp"

namespace daxfs {

struct Counts {
    std::uint64_t inodes = 0;
    std::uint64_t files = 0;
    std::uint64_t dirs = 0;
    std::uint64_t symlinks = 0;
    std::uint64_t specials = 0;   // devices, FIFOs, sockets
    std::uint64_t hardlinks = 0;  // names beyond the first of non-directories
    std::uint64_t data_bytes = 0; // regular file content
};

// Add one inode (its mode, content size and link count) to @c.
void count_inode(Counts &c, std::uint32_t mode, std::uint64_t size, std::uint32_t nlink);

struct Layout {
    std::vector<std::uint32_t> node_of; // [ino - 1] -> Tree node index
    std::vector<std::uint32_t> ino_of;  // [node] -> inode number (0: unreachable)
    std::vector<std::uint32_t> nlink;   // [ino - 1]
    std::vector<std::uint32_t> parent;  // [ino - 1], directories only
    std::vector<std::uint64_t> data;    // [ino - 1] byte offset of the content
    std::uint64_t branch_off = 0;       // branch table (DAXFS_FEATURE_INCOMPAT_BRANCHES), else 0
    std::uint64_t inode_off = 0;
    std::uint64_t data_off = 0;
    std::uint64_t files_off = 0; // first block of regular file data
    std::uint64_t base_size = 0; // end of the data area (block aligned)
    std::uint64_t delta_off = 0; // delta region (== base_size with branches), else 0
    std::uint64_t delta_size = 0;
    std::uint64_t image_size = 0; // base_size, plus delta_size with branches
    Counts counts;

    bool branching() const { return branch_off != 0; }
};

// Inode numbers are given breadth-first from the root (1), entries in name order, a hard
// link taking its number where it is first met. The data area holds the directories
// (DAXFS_DIR_ALIGN aligned) and symlink targets packed first, then every regular file's
// content block aligned, in inode order; files marked with the same Node::same_data share
// one copy (the first in inode order). Throws daxfs::Error on too many inodes or links.
// With @branching, a branch table goes between the superblock and the inode table and the
// image ends with a delta region of (so far) 0 bytes: see set_delta_size().
Layout plan_layout(const Tree &tree, bool branching = false);

// Smallest delta region mkdaxfs makes: the owner table and room for a few branches.
inline constexpr std::uint64_t kMinDeltaSize = 256u << 10;

// Give a branching layout a delta region of @bytes rounded down to whole blocks; image_size
// becomes delta_off + delta_size. Throws daxfs::Error(EINVAL) below kMinDeltaSize.
void set_delta_size(Layout &l, std::uint64_t bytes);

// Pages of the delta region that hold the owner table (one __le32 per delta page).
std::uint64_t meta_pages(std::uint64_t delta_pages);

} // namespace daxfs
