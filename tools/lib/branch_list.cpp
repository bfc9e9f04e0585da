// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/branch_list.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "daxfs/size.hpp"

namespace daxfs {

namespace {

// An active branch is still valid while its chain starts with all of main's: once another
// branch is committed over its base, or an ancestor is aborted, its mounts get ESTALE.
bool descends_from(const BranchTable &table, std::uint32_t slot,
                   const std::vector<std::uint32_t> &main_chain) {
    try {
        const std::vector<std::uint32_t> mine = table.chain(slot);
        return mine.size() >= main_chain.size() &&
               std::equal(main_chain.begin(), main_chain.end(), mine.begin());
    } catch (const Error &) {
        return false; // an ancestor is gone or was reused: as stale as it gets
    }
}

} // namespace

// The counted mount of slot @b as two looks at the table show it (docs/protocol.md).
std::string holder_of(const daxfs_br &b, const BranchTable *later) {
    if (!b.mounts)
        return "";
    if (!b.beat)
        return "stopped";
    if (!later)
        return "unwatched";
    const daxfs_br &l = later->slot(b.slot);
    const bool same = l.state != DAXFS_BRANCH_FREE && l.generation == b.generation && l.mounts &&
                      l.beat == b.beat;
    return same ? "stopped" : "beating";
}

std::vector<BranchRow> list_branches(const BranchTable &table, const BranchTable *later) {
    std::vector<std::uint32_t> chain;
    bool chain_ok = false;
    try {
        chain = table.main_chain();
        chain_ok = true;
    } catch (const Error &) {
        // a broken chain is the checker's to report; list what is there
    }
    std::vector<BranchRow> rows;
    for (const daxfs_br &b : table.slots()) {
        if (b.state == DAXFS_BRANCH_FREE)
            continue;
        const bool on_main = b.slot == DAXFS_MAIN_SLOT ||
                             std::find(chain.begin(), chain.end(), b.slot) != chain.end();
        std::string state = branch_state_name(b.state);
        if (b.state == DAXFS_BRANCH_ACTIVE && !descends_from(table, b.slot, chain))
            state = "stale";
        if (chain_ok && b.state == DAXFS_BRANCH_COMMITTED && b.slot != DAXFS_MAIN_SLOT) {
            if (on_main && (b.flags & DAXFS_BRANCH_F_FOLD))
                state = "fold"; // main's chain starts with it
            else if (table.folded(b.slot))
                state = "folded"; // history a fold replaced: its pages are being freed
        }
        const daxfs_br &p = table.slot(b.parent < DAXFS_BRANCH_COUNT ? b.parent : 0);
        const bool parent_main = p.slot == DAXFS_MAIN_SLOT || p.state == DAXFS_BRANCH_COMMITTED;
        const std::string holder = holder_of(b, later);
        rows.push_back({b.slot, b.name, parent_main ? "main" : p.name, p.slot, state, b.generation,
                        b.pages * DAXFS_BLOCK_SIZE, b.mounts, b.beat, holder, holder == "stopped",
                        on_main});
    }
    return rows;
}

nlohmann::json branches_json(const std::vector<BranchRow> &rows) {
    nlohmann::json j = nlohmann::json::array();
    for (const BranchRow &r : rows)
        j.push_back({{"slot", r.slot},
                     {"name", r.name},
                     {"parent", r.parent},
                     {"parent_slot", r.parent_slot},
                     {"state", r.state},
                     {"generation", r.generation},
                     {"bytes", r.bytes},
                     {"mounts", r.mounts},
                     {"heartbeat", r.heartbeat},
                     {"holder", r.holder},
                     {"lease_lapsed", r.lease_lapsed},
                     {"on_main", r.on_main}});
    return j;
}

std::string branches_table(const std::vector<BranchRow> &rows) {
    std::size_t w = 4, pw = 6;
    for (const BranchRow &r : rows) {
        w = std::max(w, r.name.size());
        pw = std::max(pw, r.parent.size());
    }
    std::string out = fmt::format("{:>4}  {:<{}}  {:<{}}  {:<9}  {:>10}  {:>6}\n", "SLOT", "NAME",
                                  w, "PARENT", pw, "STATE", "BYTES", "MOUNTS");
    for (const BranchRow &r : rows)
        out += fmt::format("{:>4}  {:<{}}  {:<{}}  {:<9}  {:>10}  {:>6}{}\n", r.slot, r.name, w,
                           r.slot ? r.parent : "-", pw, r.state, r.bytes, r.mounts,
                           r.lease_lapsed ? "  (heartbeat stopped)" : "");
    return out;
}

} // namespace daxfs
