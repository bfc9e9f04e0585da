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
    std::uint64_t huge_files = 0; // stored contents of DAXFS_HUGE_SIZE bytes or more
    std::uint64_t huge_pad = 0;   // bytes before huge files that no small file fills
    bool fold = true; // with branches: DAXFS_FEATURE_INCOMPAT_FOLD (main's history folds)

    bool branching() const { return branch_off != 0; }
};

// Where regular files' contents go in the data area.
enum class Placement {
    // A content of DAXFS_HUGE_SIZE bytes or more starts on a DAXFS_HUGE_SIZE boundary
    // (so the kernel can map it 2 MiB at a time); smaller ones fill the gaps this leaves.
    huge_aligned,
    packed, // every content block aligned, one after another, in inode order
};

// Inode numbers are given breadth-first from the root (1), entries in name order, a hard
// link taking its number where it is first met. The data area holds the directories
// (DAXFS_DIR_ALIGN aligned) and symlink targets packed first, then the regular files'
// contents, each block aligned; files marked with the same Node::same_data share one copy
// (the first in inode order). With Placement::packed the contents follow one another in
// inode order. With Placement::huge_aligned (the default) the huge contents (at least
// DAXFS_HUGE_SIZE bytes) come first, in inode order, each at the next DAXFS_HUGE_SIZE
// boundary; then the smaller contents, largest first (equal sizes in inode order), each
// into the smallest gap left before a huge one that holds it (the lowest of equal gaps,
// at the gap's start); those no gap holds follow, in inode order. Layout::huge_pad counts
// the gaps left. Without huge contents both give the same layout. Throws
// daxfs::Error on too many inodes or links. With @branching, a branch table goes between
// the superblock and the inode table and the image ends with a delta region of (so far)
// 0 bytes: see set_delta_size().
Layout plan_layout(const Tree &tree, bool branching = false,
                   Placement placement = Placement::huge_aligned);

// Smallest delta region mkdaxfs makes: the owner table and room for a few branches.
inline constexpr std::uint64_t kMinDeltaSize = 256u << 10;

// Give a branching layout a delta region of @bytes rounded down to whole blocks; image_size
// becomes delta_off + delta_size. Throws daxfs::Error(EINVAL) below kMinDeltaSize.
void set_delta_size(Layout &l, std::uint64_t bytes);

// Pages of the delta region that hold the owner table (one __le32 per delta page).
std::uint64_t meta_pages(std::uint64_t delta_pages);

} // namespace daxfs
