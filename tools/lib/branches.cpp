// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/branches.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fmt/format.h>
#include <memory>

#include "daxfs/error.hpp"

namespace daxfs {

namespace {

[[noreturn]] void fail(int err, const daxfs_report &rep, const char *what) {
    throw Error(-err, rep.msg[0] ? rep.msg : what);
}

} // namespace

bool has_branches(const Image &image) {
    return image.geo().feature_incompat & DAXFS_FEATURE_INCOMPAT_BRANCHES;
}

bool has_folding(const Image &image) {
    return has_branches(image) && (image.geo().feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD);
}

std::string branch_state_name(std::uint32_t state) {
    switch (state) {
    case DAXFS_BRANCH_FREE:
        return "free";
    case DAXFS_BRANCH_MAIN:
        return "main";
    case DAXFS_BRANCH_ACTIVE:
        return "active";
    case DAXFS_BRANCH_COMMITTED:
        return "committed";
    case DAXFS_BRANCH_DEAD:
        return "dead";
    case DAXFS_BRANCH_CLAIMED:
        return "claimed";
    default:
        return fmt::format("state {}", state);
    }
}

BranchTable::BranchTable(const Image &image) {
    if (!has_branches(image))
        throw Error(EOPNOTSUPP, "the image has no branches (made without mkdaxfs -b)");
    const void *region = image.region().data();
    daxfs_report rep{};
    int err = daxfs_read_live(region, &image.geo(), &live_, &rep);
    if (err)
        fail(err, rep, "corrupt live words");
    if (has_folding(image)) { // a private copy of the table: other kernels write it
        daxfs_reader raw[DAXFS_READER_COUNT];
        std::memcpy(raw,
                    static_cast<const std::byte *>(region) + DAXFS_SUPER_FIXED_SIZE +
                        offsetof(daxfs_live, readers),
                    sizeof(raw));
        for (const daxfs_reader &r : raw)
            readers_.push_back({le64_to_cpu(r.beat), le64_to_cpu(r.seen)});
    }
    slots_.resize(DAXFS_BRANCH_COUNT);
    for (std::uint32_t s = 0; s < DAXFS_BRANCH_COUNT; s++) {
        err = daxfs_read_branch(region, &image.geo(), s, &slots_[s], &rep);
        if (err)
            fail(err, rep, "corrupt branch table");
    }
    std::vector<std::uint32_t> chain(DAXFS_BRANCH_COUNT);
    std::uint32_t len = 0;
    chain_err_ = daxfs_main_chain_walk(region, &image.geo(), live_.main_head, live_.fold_head,
                                       chain.data(), &len, &top_, &chain_rep_);
    chain.resize(chain_err_ ? 0 : len);
    main_ = std::move(chain);
}

const daxfs_br &BranchTable::find(std::string_view name) const {
    if (name == "main")
        return slots_[DAXFS_MAIN_SLOT];
    const daxfs_br *committed = nullptr;
    for (const daxfs_br &b : slots_) {
        if (b.slot == DAXFS_MAIN_SLOT || name != b.name)
            continue;
        if (b.state == DAXFS_BRANCH_ACTIVE || b.state == DAXFS_BRANCH_CLAIMED)
            return b;
        if (b.state == DAXFS_BRANCH_COMMITTED && (!committed || b.created > committed->created))
            committed = &b;
    }
    if (!committed)
        throw Error(ENOENT, fmt::format("no branch '{}'", name));
    return *committed;
}

std::vector<std::uint32_t> BranchTable::walk(std::uint32_t slot, std::uint64_t gen) const {
    std::vector<std::uint32_t> chain;
    while (slot != DAXFS_MAIN_SLOT) {
        if (top_ && DAXFS_HEAD(slot, gen) == top_) { // the fold takes the top's place
            chain.push_back(DAXFS_HEAD_SLOT(live_.fold_head));
            break;
        }
        const daxfs_br &b = slots_.at(slot);
        if (b.generation != gen || b.state == DAXFS_BRANCH_FREE)
            throw Error(EUCLEAN,
                        fmt::format("branch slot {} is not generation {} any more", slot, gen));
        if (chain.size() >= DAXFS_BRANCH_COUNT)
            throw Error(EUCLEAN, fmt::format("the parents of slot {} form a loop", slot));
        chain.push_back(slot);
        gen = b.parent_gen;
        slot = b.parent;
    }
    return {chain.rbegin(), chain.rend()};
}

std::vector<std::uint32_t> BranchTable::main_chain() const {
    if (chain_err_)
        fail(chain_err_, chain_rep_, "corrupt main chain");
    return main_;
}

bool BranchTable::folded(std::uint32_t slot) const {
    const daxfs_br &b = slots_.at(slot);
    // The slot main_head names stays until the head moves on, even when a fold stands for it.
    return b.state == DAXFS_BRANCH_COMMITTED && slot != DAXFS_HEAD_SLOT(live_.main_head) &&
           std::find(main_.begin(), main_.end(), slot) == main_.end();
}

std::vector<std::uint32_t> BranchTable::chain(std::uint32_t slot) const {
    return walk(slot, slots_.at(slot).generation);
}

void for_each_record(const Image &image, const daxfs_br &br,
                     const std::function<void(const daxfs_lrec &)> &fn) {
    if (!br.log_tail) // an empty log
        return;
    const void *region = image.region().data();
    auto cur = std::make_unique<daxfs_log_cursor>();
    daxfs_report rep{};
    int err = daxfs_log_start(region, &image.geo(), &br, br.log_tail, cur.get(), &rep);
    if (err)
        fail(err, rep, "corrupt log");
    for (;;) {
        daxfs_lrec rec{};
        err = daxfs_log_next(region, &image.geo(), cur.get(), &rec, &rep);
        if (err < 0)
            fail(err, rep, "corrupt log");
        if (err == 0)
            return;
        fn(rec);
    }
}

} // namespace daxfs
