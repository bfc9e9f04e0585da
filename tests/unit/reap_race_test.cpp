// SPDX-License-Identifier: GPL-2.0 OR MIT
// The page rule of a fold (common/daxfs_apply.c, daxfs_page_named_ok()) against a reap
// running at the same time, as a kernel's reap runs while another kernel replays the fold:
// the reap hands the page from the folded slot to the fold (owner cmpxchg), then frees the
// folded slot (state cmpxchg). A replay that loads the owner before the hand-over and the
// state after the free must still accept the page: it is the fold's by then.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <gtest/gtest.h>
#include <thread>
#include <vector>

#include "daxfs_apply.h"
#include "daxfs_format.h"

namespace {

constexpr std::uint32_t kFold = 5, kFolded = 3;
constexpr std::uint64_t kPage = 1;

struct Region {
    std::vector<std::byte> bytes;
    daxfs_geo geo{};

    Region() : bytes(4096 + DAXFS_BRANCH_COUNT * sizeof(daxfs_branch)) {
        geo.delta_off = 0; // the owner table: page 0
        geo.meta_pages = 1;
        geo.delta_pages = 2;
        geo.branch_off = 4096;
    }
    std::atomic_ref<std::uint32_t> owner() {
        return std::atomic_ref<std::uint32_t>(
            *reinterpret_cast<std::uint32_t *>(bytes.data() + kPage * 4));
    }
    std::atomic_ref<std::uint32_t> state(std::uint32_t slot) {
        auto *b = reinterpret_cast<daxfs_branch *>(bytes.data() + geo.branch_off) + slot;
        return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t *>(&b->state));
    }
};

TEST(ReapRace, FoldPageHandedOverMeanwhile) {
    Region r;
    r.state(kFold).store(DAXFS_BRANCH_COMMITTED);
    r.state(kFolded).store(DAXFS_BRANCH_COMMITTED);
    r.owner().store(DAXFS_OWNER(kFolded));
    std::atomic<int> done{0};
    std::atomic<long> refused{0}, checks{0};
    constexpr int kRounds = 20000;

    // The replay: checks the page over and over while rounds go by.
    std::thread replay([&] {
        while (!done.load(std::memory_order_acquire)) {
            if (!daxfs_page_named_ok(r.bytes.data(), &r.geo, kFold, true, kPage))
                refused.fetch_add(1);
            checks.fetch_add(1, std::memory_order_relaxed);
        }
    });
    // The reap, once a round: the page is the folded slot's, then handed over and the slot
    // freed, in the kernel's order and with its full barriers. Between steps the reap waits
    // for two more checks, so checks fall before, between and after its stores. At most
    // kRounds rounds, and at most 3 s of them: a loaded machine may starve the replay thread
    // (without the second load of the owner, the first few hundred rounds fail already).
    const auto stop = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    const auto wait_checks = [&] {
        for (long seen = checks.load(); checks.load() - seen < 2;)
            std::this_thread::yield();
    };
    int rounds = 0;
    for (; rounds < kRounds && std::chrono::steady_clock::now() < stop; rounds++) {
        r.state(kFolded).store(DAXFS_BRANCH_COMMITTED);
        r.owner().store(DAXFS_OWNER(kFolded));
        wait_checks();
        std::uint32_t want = DAXFS_OWNER(kFolded);
        r.owner().compare_exchange_strong(want, DAXFS_OWNER(kFold));
        want = DAXFS_BRANCH_COMMITTED;
        r.state(kFolded).compare_exchange_strong(want, DAXFS_BRANCH_FREE);
        wait_checks();
    }
    done.store(1, std::memory_order_release);
    replay.join();
    EXPECT_EQ(refused.load(), 0) << "of " << checks.load() << " checks in " << rounds << " rounds";
}

TEST(ReapRace, OtherOwnersStillRefused) {
    Region r;
    r.state(kFold).store(DAXFS_BRANCH_COMMITTED);
    // A slot that is not COMMITTED and never handed the page over: refused.
    r.state(kFolded).store(DAXFS_BRANCH_ACTIVE);
    r.owner().store(DAXFS_OWNER(kFolded));
    EXPECT_FALSE(daxfs_page_named_ok(r.bytes.data(), &r.geo, kFold, true, kPage));
    r.owner().store(DAXFS_OWNER_FREE);
    EXPECT_FALSE(daxfs_page_named_ok(r.bytes.data(), &r.geo, kFold, true, kPage));
    // An ordinary slot's record: its own pages only, even if a COMMITTED slot owns it.
    r.state(kFolded).store(DAXFS_BRANCH_COMMITTED);
    r.owner().store(DAXFS_OWNER(kFolded));
    EXPECT_FALSE(daxfs_page_named_ok(r.bytes.data(), &r.geo, kFold, false, kPage));
    EXPECT_TRUE(daxfs_page_named_ok(r.bytes.data(), &r.geo, kFold, true, kPage));
}

} // namespace
