// SPDX-License-Identifier: GPL-2.0 OR MIT
// The hostile-log corpus through the tools' checker (what fsck.daxfs and daxfs-inspect
// check run): every hostile image is refused with its reason, every good one passes.
// tests/vm/branch-hostile-logs.sh runs the same images through the kernel.
#include <gtest/gtest.h>

#include "daxfs/replay.hpp"
#include "daxfs/validate.hpp"
#include "helpers.hpp"
#include "hostile_corpus.hpp"

using namespace testing_daxfs;

TEST(Hostile, EveryCaseGetsItsVerdict) {
    TempDir dir;
    const auto corpus = hostile_corpus(dir.path());
    ASSERT_GE(corpus.size(), 25u);
    for (const HostileCase &c : corpus) {
        std::uint64_t leaked = 0;
        const daxfs::Validation v = daxfs::validate_all(c.image, leaked);
        if (c.reason.empty()) {
            EXPECT_TRUE(v.ok) << c.name << ": " << v.message;
            EXPECT_EQ(leaked, 0u) << c.name;
            continue;
        }
        EXPECT_FALSE(v.ok) << c.name;
        EXPECT_EQ(v.err, EUCLEAN) << c.name;
        EXPECT_NE(v.message.find(c.reason), std::string::npos)
            << c.name << ": '" << v.message << "' does not say '" << c.reason << "'";
    }
}

// The view of the branch a case mounts is refused the same way when read alone (daxfs-inspect
// ls/cat --branch), not only by the whole-image check.
TEST(Hostile, BranchViewsAreRefusedAlone) {
    TempDir dir;
    for (const HostileCase &c : hostile_corpus(dir.path())) {
        if (c.reason.empty() || c.mount.rfind("branch=x", 0) != 0)
            continue;
        const daxfs::Image image(c.image);
        try {
            (void)daxfs::replay_view(image, "x");
            ADD_FAILURE() << c.name << ": branch x replayed";
        } catch (const daxfs::Error &e) {
            EXPECT_EQ(e.code(), EUCLEAN) << c.name;
            EXPECT_NE(std::string(e.what()).find(c.reason), std::string::npos)
                << c.name << ": " << e.what();
        }
    }
}
