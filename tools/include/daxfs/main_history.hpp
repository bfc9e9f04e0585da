// SPDX-License-Identifier: GPL-2.0 OR MIT
// Main's history as `daxfs-branch list` and `daxfs-inspect info` show it: how long main's
// chain is, whether it starts with a fold, what folded history still holds delta pages,
// and how many mounts are registered as readers (docs/format.md, Folding).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "daxfs/branches.hpp"

namespace daxfs {

struct MainHistory {
    bool folding = false;           // made with folding (INCOMPAT_FOLD); else only chain_* is known
    bool chain_ok = false;          // main's chain could be walked; else the counts below are 0
    std::uint32_t chain_slots = 0;  // slots of main's chain: commits since the fold, + the fold
    std::uint32_t fold_slot = 0;    // the fold main's chain starts with, 0: none
    std::uint64_t fold_top = 0;     // the head that fold stands for (DAXFS_HEAD), 0: none
    std::uint32_t folded_slots = 0; // COMMITTED slots main's chain no longer reaches
    // Delta pages those slots own: freed once every reader has seen the fold, but for the
    // pages the fold still names, which the folder hands over to the fold slot.
    std::uint64_t reclaimable_pages = 0;
    std::uint64_t fold_need = 0;      // live.fold_need: the commit_seq readers must see
    std::uint32_t readers = 0;        // live entries of live.readers (beat not 0)
    std::uint32_t readers_behind = 0; // of those, entries whose seen < fold_need

    std::uint32_t commits_since_fold() const noexcept {
        return fold_slot ? chain_slots - 1 : chain_slots;
    }
};

MainHistory main_history(const BranchTable &table);

nlohmann::json history_json(const MainHistory &h);
// One line without its label or newline, e.g. "main's chain: 3 slots (the fold in slot 7
// and 2 commits since); folded: 4 slots holding 10 pages (40.0 KiB), being freed;
// readers: 2 live".
std::string history_text(const MainHistory &h);

} // namespace daxfs
