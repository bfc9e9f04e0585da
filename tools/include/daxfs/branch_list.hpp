// SPDX-License-Identifier: GPL-2.0 OR MIT
// The rows `daxfs-branch list` and `daxfs-inspect info` show for the branches of an image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daxfs/branches.hpp"

namespace daxfs {

struct BranchRow {
    std::uint32_t slot;
    std::string name;
    std::string parent;        // "main" when the parent is main or part of it (committed),
                               // else the parent branch's name
    std::uint32_t parent_slot; // the parent's slot
    std::string state;         // branch_state_name(), or "stale" for an active branch that
                               // no longer descends from main (its mounts get ESTALE),
                               // "fold" for the fold main's chain starts with, "folded"
                               // for a committed slot a fold replaced (being freed)
    std::uint64_t generation;
    std::uint64_t bytes; // delta pages owned (data and log) * 4096
    std::uint32_t mounts;
    std::uint64_t heartbeat; // the counted mount's heartbeat (docs/protocol.md), 0: none
    // The counted mount as judged from here: "" (none), "beating" (its heartbeat moved
    // between the two looks), "stopped" (it did not move: its kernel stopped or died, the
    // next mount may take the branch over; or it is 0) or "unwatched" (one look only:
    // liveness needs a second look a lease later, daxfs-branch list --watch)
    std::string holder;
    bool lease_lapsed; // holder == "stopped"
    bool on_main;      // main or on main's committed chain
};

// Every slot in use (not FREE), by slot number. LATER is the same table read again at
// least DAXFS_LEASE_NS later (or null): a heartbeat that did not move between the two
// looks stopped.
std::vector<BranchRow> list_branches(const BranchTable &table, const BranchTable *later = nullptr);

nlohmann::json branches_json(const std::vector<BranchRow> &rows);
// An aligned table with a header line.
std::string branches_table(const std::vector<BranchRow> &rows);

} // namespace daxfs
