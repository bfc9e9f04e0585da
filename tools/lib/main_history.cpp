// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/main_history.hpp"

#include <fmt/format.h>
#include <vector>

#include "daxfs/error.hpp"
#include "daxfs/size.hpp"

namespace daxfs {

namespace {

std::string count(std::uint64_t n, const char *one, const char *many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string chain_text(const MainHistory &h) {
    if (!h.chain_ok)
        return "main's chain: broken (daxfs-inspect check tells why)";
    if (!h.chain_slots)
        return "main's chain: empty (nothing committed)";
    const std::string commits = count(h.commits_since_fold(), "commit", "commits");
    if (!h.fold_slot)
        return fmt::format("main's chain: {} ({}{})", count(h.chain_slots, "slot", "slots"),
                           commits, h.folding ? ", no fold" : "");
    return fmt::format("main's chain: {} (the fold in slot {} and {} since)",
                       count(h.chain_slots, "slot", "slots"), h.fold_slot, commits);
}

} // namespace

MainHistory main_history(const BranchTable &table) {
    MainHistory h;
    h.folding = !table.readers().empty(); // empty exactly on images made without folding
    std::vector<std::uint32_t> chain;
    try {
        chain = table.main_chain();
        h.chain_ok = true;
    } catch (const Error &) {
        // a broken chain is the checker's to report
    }
    h.chain_slots = static_cast<std::uint32_t>(chain.size());
    if (h.chain_ok && table.fold_top()) {
        h.fold_slot = chain.front();
        h.fold_top = table.fold_top();
    }
    for (const daxfs_br &b : table.slots()) {
        if (!h.folding || !h.chain_ok || b.slot == DAXFS_MAIN_SLOT || !table.folded(b.slot))
            continue;
        h.folded_slots++;
        h.reclaimable_pages += b.pages;
    }
    h.fold_need = table.live().fold_need;
    for (const ReaderEntry &r : table.readers()) {
        if (!r.beat)
            continue;
        h.readers++;
        if (h.fold_need && r.seen < h.fold_need)
            h.readers_behind++;
    }
    return h;
}

nlohmann::json history_json(const MainHistory &h) {
    return {{"folding", h.folding},
            {"chain_ok", h.chain_ok},
            {"chain_slots", h.chain_slots},
            {"commits_since_fold", h.commits_since_fold()},
            {"fold_slot", h.fold_slot},
            {"fold_top",
             {{"slot", DAXFS_HEAD_SLOT(h.fold_top)}, {"generation", DAXFS_HEAD_GEN(h.fold_top)}}},
            {"folded_slots", h.folded_slots},
            {"reclaimable_pages", h.reclaimable_pages},
            {"reclaimable_bytes", h.reclaimable_pages * DAXFS_BLOCK_SIZE},
            {"fold_need", h.fold_need},
            {"readers", h.readers},
            {"readers_behind", h.readers_behind}};
}

std::string history_text(const MainHistory &h) {
    std::string out = chain_text(h);
    if (!h.folding)
        return out + "; no folding (the image was made without it)";
    if (!h.folded_slots)
        out += "; folded: none";
    else
        out += fmt::format("; folded: {} holding {} ({}), being freed",
                           count(h.folded_slots, "slot", "slots"),
                           count(h.reclaimable_pages, "page", "pages"),
                           human_bytes(h.reclaimable_pages * DAXFS_BLOCK_SIZE));
    out += fmt::format("; readers: {} live", h.readers);
    if (h.readers_behind)
        out += fmt::format(", {} not yet past the fold", h.readers_behind);
    return out;
}

} // namespace daxfs
