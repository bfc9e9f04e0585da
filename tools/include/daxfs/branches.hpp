// SPDX-License-Identifier: GPL-2.0 OR MIT
// The branch table, live words and delta logs of an image with branches, read through the
// shared checker (common/daxfs_log.h): every slot and record is decoded from a private copy
// and checked, so a corrupt table or log gives daxfs::Error(EUCLEAN), never a bad read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daxfs/reader.hpp"
#include "daxfs_log.h"

namespace daxfs {

// The image was made with branches (mkdaxfs -b).
bool has_branches(const Image &image);
// The image was made with folding (INCOMPAT_FOLD): main's history may be folded.
bool has_folding(const Image &image);

// "free", "main", "active", "committed", "dead", "claimed".
std::string branch_state_name(std::uint32_t state);

// An entry of live.readers, decoded: one per mount of an image made with folding; @beat 0
// is a free entry, @seen the oldest commit_seq whose pages the mount may still read.
struct ReaderEntry {
    std::uint64_t beat;
    std::uint64_t seen;
};

class BranchTable {
  public:
    // Reads the live words and all DAXFS_BRANCH_COUNT slots once. Throws
    // daxfs::Error(EOPNOTSUPP) on an image without branches.
    explicit BranchTable(const Image &image);

    const daxfs_live_words &live() const noexcept { return live_; }
    const std::vector<daxfs_br> &slots() const noexcept { return slots_; }
    const daxfs_br &slot(std::uint32_t s) const { return slots_.at(s); }
    // live.readers, read once with the live words; empty on an image made without folding.
    const std::vector<ReaderEntry> &readers() const noexcept { return readers_; }

    // The slot a name means: "main" is slot 0; otherwise an ACTIVE (or CLAIMED) slot of
    // that name, else the newest COMMITTED one. daxfs::Error(ENOENT) if none.
    const daxfs_br &find(std::string_view name) const;

    // Slots whose logs make up a view, oldest first, slot 0 left out: for main the chain
    // ending at live.main_head, for a branch the chain of its ancestors and itself.
    // A chain reaching the top of main's fold starts with the fold slot instead.
    // daxfs::Error(EUCLEAN) if a parent link is broken (wrong generation, a loop).
    std::vector<std::uint32_t> main_chain() const;
    std::vector<std::uint32_t> chain(std::uint32_t slot) const;
    // A COMMITTED slot main's chain no longer reaches: folded, its pages being freed.
    bool folded(std::uint32_t slot) const;
    // The head main's fold stands for (0: no fold).
    std::uint64_t fold_top() const noexcept { return top_; }

  private:
    std::vector<std::uint32_t> walk(std::uint32_t slot, std::uint64_t gen) const;

    daxfs_live_words live_{};
    std::vector<daxfs_br> slots_;
    std::vector<ReaderEntry> readers_;
    std::vector<std::uint32_t> main_;
    std::uint64_t top_ = 0;
    int chain_err_ = 0; // main's chain, checked once: the error main_chain() throws
    daxfs_report chain_rep_{};
};

// Calls @fn for each record of @br's log, up to its log_tail, in order. Throws
// daxfs::Error (EUCLEAN for a corrupt log).
void for_each_record(const Image &image, const daxfs_br &br,
                     const std::function<void(const daxfs_lrec &)> &fn);

} // namespace daxfs
