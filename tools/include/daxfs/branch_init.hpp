// SPDX-License-Identifier: GPL-2.0 OR MIT
// The branch state of a fresh image with branches (mkdaxfs -b): the branch table with
// slot 0 "main", the live words, the owner table at the start of the delta region.
#pragma once

#include <cstddef>
#include <vector>

#include "daxfs/layout.hpp"
#include "daxfs_format.h"

namespace daxfs {

// DAXFS_BRANCH_COUNT entries: slot 0 = {MAIN, parent 0, generation 0, "main"}, the rest
// FREE (zero).
std::vector<std::byte> initial_branch_table();

// main_head DAXFS_HEAD(0, 0), commit_seq 0, next_ino inode_count + 1, table_lock 0,
// alloc_hint meta_pages, free_pages delta_pages - meta_pages.
struct daxfs_live initial_live(const Layout &l);

// The owner table's pages (meta_pages blocks): META for themselves, FREE for the rest.
std::vector<std::byte> initial_owner_table(const Layout &l);

} // namespace daxfs
