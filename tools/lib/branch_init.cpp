// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/branch_init.hpp"

#include <cstring>

#include "daxfs_check.h"

namespace daxfs {

std::vector<std::byte> initial_branch_table() {
    std::vector<std::byte> table(DAXFS_BRANCH_COUNT * sizeof(struct daxfs_branch));
    struct daxfs_branch main {};
    main.state = cpu_to_le32(DAXFS_BRANCH_MAIN);
    main.parent = cpu_to_le32(DAXFS_MAIN_SLOT);
    std::memcpy(main.name, "main", 4);
    std::memcpy(table.data() + DAXFS_MAIN_SLOT * sizeof(main), &main, sizeof(main));
    return table;
}

struct daxfs_live initial_live(const Layout &l) {
    const std::uint64_t pages = l.delta_size / DAXFS_BLOCK_SIZE;
    const std::uint64_t meta = meta_pages(pages);
    struct daxfs_live live {};
    live.main_head = cpu_to_le64(DAXFS_HEAD(DAXFS_MAIN_SLOT, 0));
    live.commit_seq = cpu_to_le64(0);
    live.next_ino = cpu_to_le64(l.node_of.size() + 1);
    live.table_lock = cpu_to_le64(0);
    live.alloc_hint = cpu_to_le64(meta);
    live.free_pages = cpu_to_le64(pages - meta);
    return live;
}

std::vector<std::byte> initial_owner_table(const Layout &l) {
    const std::uint64_t meta = meta_pages(l.delta_size / DAXFS_BLOCK_SIZE);
    std::vector<std::byte> table(meta * DAXFS_BLOCK_SIZE);
    const __le32 tag = cpu_to_le32(DAXFS_OWNER_META);
    for (std::uint64_t i = 0; i < meta; i++)
        std::memcpy(table.data() + i * sizeof(tag), &tag, sizeof(tag));
    return table;
}

} // namespace daxfs
