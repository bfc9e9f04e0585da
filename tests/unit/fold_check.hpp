// SPDX-License-Identifier: GPL-2.0 OR MIT
// The check of a fold, for the unit tests and fuzz_fold: main's view of an image folded
// into the log of a new slot, that log replayed alone over the base image, and the two
// views compared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace testing_daxfs {

struct Folded {
    std::uint32_t slot = 0;                      // the slot holding the fold's log
    std::vector<std::vector<std::byte>> records; // the fold, encoded
    std::string diff; // how the fold's view differs from main's; empty: not at all
};

// Fold main's view of @img (records at time @now) into a new slot of @img, which takes the
// pages the fold names over; then make that slot main alone, every other slot and page
// free (as the cleanup after a fold does), and replay main: the fold alone over the base.
// daxfs::Error from the replay of main or of the fold (a fold the rules refuse).
Folded fold_main(std::vector<std::byte> &img, std::int64_t now);

// Fold main's view of @img into a new slot, as the kernel's folder publishes it: the slot
// COMMITTED with DAXFS_BRANCH_F_FOLD on main's head, live.fold_head naming it, fold_need set;
// the pages the fold names still the folded slots' (not handed over), nothing freed. diff:
// how main's view (now starting at the fold) differs from before.
Folded publish_fold(std::vector<std::byte> &img, std::int64_t now);

// The next inode number of @img's live words.
std::uint64_t next_ino(const std::vector<std::byte> &img);

} // namespace testing_daxfs
