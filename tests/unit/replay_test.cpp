// SPDX-License-Identifier: GPL-2.0 OR MIT
// Branch logs read offline: records written by a test log writer (as the kernel writes
// them) replayed into views of main and of branches, diffs, flattening with --from, and
// corrupt logs refused with EUCLEAN.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <iterator>
#include <map>
#include <sys/stat.h>

#include "daxfs/branch_list.hpp"
#include "daxfs/branches.hpp"
#include "daxfs/diff.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"
#include "daxfs_log.h"
#include "helpers.hpp"
#include "log_writer.hpp"

using namespace testing_daxfs;

namespace {

std::vector<std::byte> page_of(std::uint32_t seed, std::size_t len = DAXFS_BLOCK_SIZE) {
    auto p = pattern(len, seed);
    p.resize(DAXFS_BLOCK_SIZE, std::byte{0});
    return p;
}

std::string text(std::span<const std::byte> b) {
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

class Replay : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        write_file(dir_ / "src/a", pattern(9000, 1));
        make_dir(dir_ / "src/d");
        write_file(dir_ / "src/d/b", pattern(100, 2));
        make_dir(dir_ / "src/d/sub");
        write_file(dir_ / "src/keep", pattern(10, 3));
        img_ = build_branch_image(dir_ / "src", 1u << 20);
        const daxfs::Image base(img_);
        ino_a_ = base.lookup("/a").ino;
        ino_d_ = base.lookup("/d").ino;
        ino_b_ = base.lookup("/d/b").ino;
        ino_sub_ = base.lookup("/d/sub").ino;
    }

    // A branch "feat" with one record of every type.
    std::uint32_t write_feat(LogWriter &w) {
        const std::uint32_t s = w.branch("feat");
        fresh_ = w.create(s, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "new", S_IFREG | 0640);
        w.write(s, fresh_, 6000, {{0, page_of(10)}, {1, page_of(11, 6000 - 4096)}});
        nd_ = w.create(s, DAXFS_REC_MKDIR, DAXFS_ROOT_INO, "nd", S_IFDIR | 0755);
        w.write(s, ino_a_, 9000, {{1, page_of(12)}});
        w.truncate(s, ino_b_, 1);
        w.unlink(s, ino_sub_, ino_d_, "sub");
        w.rename(s, ino_a_, DAXFS_ROOT_INO, "a", nd_, "a2");
        w.link(s, fresh_, nd_, "new2");
        w.symlink(s, DAXFS_ROOT_INO, "s", "nd/a2");
        w.setattr(s, ino_d_, DAXFS_ATTR_MODE | DAXFS_ATTR_UID, 0700, 42, 0, 0);
        w.create(s, DAXFS_REC_MKNOD, nd_, "fifo", S_IFIFO | 0600);
        return s;
    }

    TempDir dir_;
    std::vector<std::byte> img_;
    std::uint64_t ino_a_ = 0, ino_d_ = 0, ino_b_ = 0, ino_sub_ = 0, fresh_ = 0, nd_ = 0;
};

TEST_F(Replay, FreshImageHasMainOnly) {
    const daxfs::Image image(img_);
    const daxfs::BranchTable t(image);
    EXPECT_STREQ(t.slot(0).name, "main");
    EXPECT_EQ(t.main_chain().size(), 0u);
    EXPECT_THROW(t.find("feat"), daxfs::Error);
    std::uint64_t leaked = 1;
    daxfs_report rep{};
    EXPECT_EQ(daxfs_validate_branches(img_.data(), &image.geo(), &leaked, &rep), 0) << rep.msg;
    EXPECT_EQ(leaked, 0u);
}

TEST_F(Replay, BranchViewShowsEveryRecord) {
    LogWriter w(img_);
    write_feat(w);
    const daxfs::Image image(img_);
    const daxfs::Overlay v = daxfs::replay_view(image, "feat");
    std::vector<std::byte> buf;

    const auto &fresh = v.node(v.lookup("/new"));
    EXPECT_EQ(fresh.size, 6000u);
    EXPECT_EQ(fresh.nlink, 2u);
    EXPECT_EQ(fresh.mode, S_IFREG | 0640u);
    auto c = v.content(fresh, buf);
    auto want = page_of(10);
    auto tail = page_of(11, 6000 - 4096);
    want.insert(want.end(), tail.begin(), tail.begin() + (6000 - 4096));
    EXPECT_EQ(text(c), text(want));
    EXPECT_EQ(v.lookup("/nd/new2"), v.lookup("/new"));

    const auto &a = v.node(v.lookup("/nd/a2"));
    std::vector<std::byte> abuf;
    auto ac = v.content(a, abuf);
    auto base = pattern(9000, 1);
    auto p12 = page_of(12);
    std::memcpy(base.data() + 4096, p12.data(), 4096);
    EXPECT_EQ(text(ac), text(base));
    EXPECT_THROW(v.lookup("/a"), daxfs::Error);

    const auto &b = v.node(v.lookup("/d/b"));
    EXPECT_EQ(b.size, 1u);
    EXPECT_EQ(text(v.content(b, buf)), text(pattern(1, 2)));
    EXPECT_THROW(v.lookup("/d/sub"), daxfs::Error);
    EXPECT_EQ(v.node(ino_d_).nlink, 2u); // sub is gone
    EXPECT_EQ(v.node(ino_d_).mode, S_IFDIR | 0700u);
    EXPECT_EQ(v.node(ino_d_).uid, 42u);
    EXPECT_EQ(v.target(v.node(v.lookup("/s"))), "nd/a2");
    EXPECT_TRUE(S_ISFIFO(v.node(v.lookup("/nd/fifo")).mode));
    EXPECT_EQ(v.node(DAXFS_ROOT_INO).nlink, 4u); // d, nd

    // main does not see an uncommitted branch.
    const daxfs::Overlay m = daxfs::replay_view(image, "main");
    EXPECT_THROW(m.lookup("/new"), daxfs::Error);
    EXPECT_NO_THROW(m.lookup("/a"));
}

TEST_F(Replay, ValidatesWithTheSharedChecker) {
    LogWriter w(img_);
    write_feat(w);
    const daxfs::Image image(img_);
    std::uint64_t leaked = 7;
    daxfs_report rep{};
    EXPECT_EQ(daxfs_validate_branches(img_.data(), &image.geo(), &leaked, &rep), 0) << rep.msg;
    EXPECT_EQ(leaked, 0u);
}

TEST_F(Replay, TruncateHidesBaseBytesAndWriteBeyondEofLeavesAHole) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("t");
    w.truncate(s, ino_a_, 10);
    w.truncate(s, ino_a_, 5000); // grows: bytes 10.. read as zeros
    w.write(s, ino_a_, 3 * 4096 + 5, {{3, page_of(20, 5)}});
    const daxfs::Image image(img_);
    const daxfs::Overlay v = daxfs::replay_view(image, "t");
    std::vector<std::byte> buf;
    auto c = v.content(v.node(ino_a_), buf);
    ASSERT_EQ(c.size(), 3u * 4096 + 5);
    auto want = std::vector<std::byte>(c.size(), std::byte{0});
    auto head = pattern(10, 1);
    std::memcpy(want.data(), head.data(), 10);
    auto last = pattern(5, 20);
    std::memcpy(want.data() + 3 * 4096, last.data(), 5);
    EXPECT_EQ(text(c), text(want));
}

TEST_F(Replay, RenameReplaceAndExchange) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("r");
    const std::uint64_t keep = daxfs::Image(img_).lookup("/keep").ino;
    w.rename(s, keep, DAXFS_ROOT_INO, "keep", ino_d_, "b");       // replaces d/b
    w.rename(s, ino_sub_, ino_d_, "sub", DAXFS_ROOT_INO, "a", 2); // exchange dir and file
    const daxfs::Image image(img_);
    const daxfs::Overlay v = daxfs::replay_view(image, "r");
    EXPECT_EQ(v.lookup("/d/b"), keep);
    EXPECT_FALSE(v.exists(ino_b_));
    EXPECT_EQ(v.lookup("/a"), ino_sub_);
    EXPECT_EQ(v.lookup("/d/sub"), ino_a_);
    EXPECT_EQ(v.node(ino_sub_).parent, DAXFS_ROOT_INO);
    EXPECT_EQ(v.node(ino_d_).nlink, 2u);
    EXPECT_EQ(v.node(DAXFS_ROOT_INO).nlink, 4u);
}

TEST_F(Replay, NestedBranchSeesItsAncestors) {
    LogWriter w(img_);
    const std::uint32_t p = w.branch("parent");
    const std::uint64_t f = w.create(p, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "pf", S_IFREG | 0644);
    const std::uint32_t c = w.branch("child", p);
    w.unlink(c, f, DAXFS_ROOT_INO, "pf");
    const daxfs::Image image(img_);
    EXPECT_NO_THROW(daxfs::replay_view(image, "parent").lookup("/pf"));
    EXPECT_THROW(daxfs::replay_view(image, "child").lookup("/pf"), daxfs::Error);
    const daxfs::BranchTable t(image);
    EXPECT_EQ(t.chain(c), (std::vector<std::uint32_t>{p, c}));
    const auto changes = daxfs::diff_branch(image, "child");
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].kind, daxfs::Change::kDeleted);
    EXPECT_EQ(changes[0].path, "/pf");
}

TEST_F(Replay, DiffAgainstParent) {
    LogWriter w(img_);
    write_feat(w);
    const auto changes = daxfs::diff_branch(daxfs::Image(img_), "feat");
    std::map<std::string, std::string> got;
    for (const auto &c : changes)
        got[c.path] = daxfs::change_kind_name(c.kind);
    const std::map<std::string, std::string> want = {
        {"/a", "deleted"}, {"/d", "modified"},  {"/d/b", "modified"},  {"/d/sub", "deleted"},
        {"/nd", "added"},  {"/nd/a2", "added"}, {"/nd/fifo", "added"}, {"/nd/new2", "added"},
        {"/new", "added"}, {"/s", "added"}};
    EXPECT_EQ(got, want);
    for (const auto &c : changes)
        if (c.path == "/d/b") {
            EXPECT_EQ(c.size, 1u);
            EXPECT_EQ(c.old_size, 100u);
        }
    const auto j = daxfs::changes_json(changes);
    EXPECT_EQ(j.size(), changes.size());
}

TEST_F(Replay, CommitThenFlattenMain) {
    LogWriter w(img_);
    const std::uint32_t s = write_feat(w);
    w.commit(s);
    const daxfs::Image image(img_);
    const daxfs::Overlay main = daxfs::replay_view(image, "main");
    EXPECT_NO_THROW(main.lookup("/nd/a2"));

    daxfs::Tree tree = daxfs::tree_from_image(image); // main, flattened
    const std::vector<std::byte> flat = build_image(std::move(tree));
    const auto v = daxfs::validate_image(flat);
    ASSERT_TRUE(v.ok) << v.message;
    const daxfs::Image out(flat);
    EXPECT_FALSE(daxfs::has_branches(out));
    const daxfs::Overlay again(out);
    EXPECT_TRUE(daxfs::diff_views(main, again).empty());
    std::vector<std::byte> buf;
    EXPECT_EQ(again.node(again.lookup("/new")).size, 6000u);
    EXPECT_EQ(again.target(again.node(again.lookup("/s"))), "nd/a2");
}

TEST_F(Replay, ListShowsSiblingsOfACommitAsStale) {
    LogWriter w(img_);
    const std::uint32_t a = w.branch("a");
    w.branch("a-child", a);
    w.branch("b-child", w.branch("b"));
    w.commit(a);
    const daxfs::Image image(img_);
    std::map<std::string, std::string> state;
    for (const daxfs::BranchRow &r : daxfs::list_branches(daxfs::BranchTable(image)))
        state[r.name] = r.state;
    EXPECT_EQ(state["main"], "main");
    EXPECT_EQ(state["a"], "committed");
    EXPECT_EQ(state["a-child"], "active"); // over the new main: still valid
    EXPECT_EQ(state["b"], "stale");
    EXPECT_EQ(state["b-child"], "stale");
}

TEST_F(Replay, ListJudgesHeartbeatsByTwoLooks) {
    LogWriter w(img_);
    const std::uint32_t held = w.branch("held");
    w.mount(held, DAXFS_BEAT_MARK | 41);
    w.mount(w.branch("zero"), 0); // counted, never beat: stopped at once
    const auto v = daxfs::validate_image(img_);
    ASSERT_TRUE(v.ok) << v.message; // a heartbeat is not a reserved field
    const daxfs::Image first(img_);
    const daxfs::BranchTable before(first);
    const auto holder = [](const std::vector<daxfs::BranchRow> &rows, const std::string &name) {
        for (const daxfs::BranchRow &r : rows)
            if (r.name == name) {
                EXPECT_EQ(r.mounts, 1u);
                EXPECT_EQ(r.lease_lapsed, r.holder == "stopped");
                return r.holder;
            }
        ADD_FAILURE() << "no branch " << name << " in the list";
        return std::string();
    };
    EXPECT_EQ(holder(daxfs::list_branches(before), "held"), "unwatched");
    EXPECT_EQ(holder(daxfs::list_branches(before), "zero"), "stopped");
    EXPECT_EQ(holder(daxfs::list_branches(before, &before), "held"), "stopped");
    w.mount(held, DAXFS_BEAT_MARK | 42); // it beat between the looks
    const daxfs::Image second(img_);
    const daxfs::BranchTable after(second);
    const auto rows = daxfs::list_branches(before, &after);
    EXPECT_EQ(holder(rows, "held"), "beating");
    const auto j = daxfs::branches_json(rows);
    EXPECT_EQ(j[1]["holder"], "beating");
    EXPECT_EQ(j[1]["heartbeat"], DAXFS_BEAT_MARK | 41);
    EXPECT_EQ(j[2]["lease_lapsed"], true);
    EXPECT_NE(daxfs::branches_table(rows).find("(heartbeat stopped)"), std::string::npos);
}

TEST_F(Replay, CorruptRecordIsEuclean) {
    LogWriter w(img_);
    const std::uint32_t s = write_feat(w);
    img_[w.last_record_off(s) + sizeof(daxfs_rec) + 3] ^= std::byte{0x40};
    const daxfs::Image image(img_);
    try {
        daxfs::replay_view(image, "feat");
        FAIL() << "a corrupt record replayed";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EUCLEAN) << e.what();
    }
    std::uint64_t leaked = 0;
    daxfs_report rep{};
    EXPECT_EQ(daxfs_validate_branches(img_.data(), &image.geo(), &leaked, &rep), -EUCLEAN);
}

// The shared decoder refuses a create record whose mode is not of the record's type; the
// kernel's index and the tools' overlay rely on that and do not check it again.
TEST_F(Replay, CreateWithAModeOfAnotherTypeIsEuclean) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("x");
    w.create(s, DAXFS_REC_MKDIR, DAXFS_ROOT_INO, "notadir", S_IFREG | 0644);
    const daxfs::Image image(img_);
    try {
        daxfs::replay_view(image, "x");
        FAIL() << "a MKDIR record of a regular file replayed";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EUCLEAN) << e.what();
    }
}

TEST_F(Replay, RecordThatDoesNotFitTheTreeIsEuclean) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("x");
    w.unlink(s, ino_b_, DAXFS_ROOT_INO, "nothere");
    const daxfs::Image image(img_);
    try {
        daxfs::replay_view(image, "x");
        FAIL() << "replayed";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EUCLEAN) << e.what();
    }
}

TEST_F(Replay, AnUnlinkedOpenFileCanStillBeWritten) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("open");
    w.unlink(s, ino_a_, DAXFS_ROOT_INO, "a");
    w.write(s, ino_a_, 100, {{0, page_of(5)}}); // through a descriptor still open
    w.setattr(s, ino_a_, DAXFS_ATTR_MODE, 0600, 0, 0, 0);
    const daxfs::Image image(img_);
    const daxfs::Overlay v = daxfs::replay_view(image, "open");
    EXPECT_FALSE(v.exists(ino_a_));
    EXPECT_THROW(v.lookup("/a"), daxfs::Error);
    EXPECT_TRUE(daxfs::validate_image(image.region()).ok);
}

TEST_F(Replay, RecordsTheKernelNeverWritesAreEuclean) {
    struct Case {
        const char *what;
        std::function<void(LogWriter &, std::uint32_t)> write;
    };
    const std::vector<Case> cases = {
        {"page past the size",
         [&](LogWriter &w, std::uint32_t s) {
             w.write(s, ino_a_, 4096, {{1, page_of(1)}});
         }},
        {"rename over another link of itself",
         [&](LogWriter &w, std::uint32_t s) {
             w.link(s, ino_a_, ino_d_, "a-too");
             w.rename(s, ino_a_, DAXFS_ROOT_INO, "a", ino_d_, "a-too");
         }},
        {"rename a file over a directory",
         [&](LogWriter &w, std::uint32_t s) {
             w.rename(s, ino_a_, DAXFS_ROOT_INO, "a", ino_d_, "sub");
         }},
        {"rmdir of a directory that is not empty",
         [&](LogWriter &w, std::uint32_t s) { w.unlink(s, ino_d_, DAXFS_ROOT_INO, "d"); }},
        {"link of an unlinked inode",
         [&](LogWriter &w, std::uint32_t s) {
             w.unlink(s, ino_a_, DAXFS_ROOT_INO, "a");
             w.link(s, ino_a_, DAXFS_ROOT_INO, "back");
         }},
        {"create in a removed directory",
         [&](LogWriter &w, std::uint32_t s) {
             w.unlink(s, ino_sub_, ino_d_, "sub");
             w.create(s, DAXFS_REC_CREATE, ino_sub_, "f", S_IFREG | 0644);
         }},
    };
    const std::vector<std::byte> clean = img_;
    for (const Case &c : cases) {
        img_ = clean;
        LogWriter w(img_);
        const std::uint32_t s = w.branch("bad");
        c.write(w, s);
        const daxfs::Image image(img_);
        try {
            (void)daxfs::replay_view(image, "bad");
            ADD_FAILURE() << c.what << ": replayed";
        } catch (const daxfs::Error &e) {
            EXPECT_EQ(e.code(), EUCLEAN) << c.what << ": " << e.what();
        }
    }
}

TEST_F(Replay, LoopingPageChainIsEuclean) {
    LogWriter w(img_);
    const std::uint32_t s = w.branch("loop");
    for (int i = 0; i < 200; i++) // several log pages
        w.setattr(s, ino_a_, DAXFS_ATTR_MODE, 0600 + (i & 7), 0, 0, 0);
    const daxfs::Image image(img_);
    const daxfs_br br = daxfs::BranchTable(image).slot(s);
    daxfs_log_page hdr;
    const std::uint64_t head = w.page_off(br.log_head);
    std::memcpy(&hdr, img_.data() + head, sizeof(hdr));
    ASSERT_NE(hdr.next, 0u);
    const std::uint64_t second = w.page_off(le64toh(hdr.next));
    daxfs_log_page h2;
    std::memcpy(&h2, img_.data() + second, sizeof(h2));
    h2.next = htole64(br.log_head); // back to the first
    std::memcpy(img_.data() + second, &h2, sizeof(h2));
    try {
        daxfs::replay_view(image, "loop");
        FAIL() << "replayed";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EUCLEAN) << e.what();
    }
}

TEST_F(Replay, RandomBytesInTheLogNeverCrash) {
    LogWriter w(img_);
    const std::uint32_t s = write_feat(w);
    const daxfs::Image clean(img_);
    const std::uint64_t head = w.page_off(daxfs::BranchTable(clean).slot(s).log_head);
    const std::vector<std::byte> good = img_;
    std::uint32_t x = 12345;
    for (int round = 0; round < 300; round++) {
        img_ = good;
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245 + 12345;
            img_[head + (x >> 8) % DAXFS_BLOCK_SIZE] ^= std::byte(1u << ((x >> 4) & 7));
        }
        const daxfs::Image image(img_);
        try {
            (void)daxfs::replay_view(image, "feat");
        } catch (const daxfs::Error &e) {
            EXPECT_TRUE(e.code() == EUCLEAN || e.code() == ENOENT) << e.what();
        }
    }
}

TEST_F(Replay, RandomBytesInTheTableAndLiveWordsNeverCrash) {
    LogWriter w(img_);
    const std::uint32_t s = write_feat(w);
    w.commit(s);
    w.branch("other");
    const std::vector<std::byte> good = img_;
    std::uint32_t x = 777;
    for (int round = 0; round < 400; round++) {
        img_ = good;
        x = x * 1103515245 + 12345;
        // the live words (2048..2096) or the first slots of the branch table
        const std::uint64_t off = round % 2 ? 2048 + (x >> 8) % 48 : 4096 + (x >> 8) % 384;
        img_[off] ^= std::byte(1u << ((x >> 4) & 7));
        const daxfs::Image image(img_);
        std::uint64_t leaked = 0;
        (void)daxfs::validate_all(img_, leaked);
        for (const char *name : {"main", "feat", "other"}) {
            try {
                (void)daxfs::replay_view(image, name);
            } catch (const daxfs::Error &e) {
                EXPECT_TRUE(e.code() == EUCLEAN || e.code() == ENOENT) << e.what();
            }
        }
    }
}

// The fuzzer's hand-built branch images (tests/fuzz/corpus-branches), whole and with bytes
// flipped all over: views and checks end in a result or daxfs::Error, never a crash.
TEST(ReplayCorpus, SeedsAndDamagedSeeds) {
    const std::string dir = DAXFS_CORPUS "-branches";
    if (!std::filesystem::exists(dir))
        GTEST_SKIP() << "no " << dir;
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        const std::string raw((std::istreambuf_iterator<char>(in)), {});
        std::vector<std::byte> seed(raw.size());
        std::memcpy(seed.data(), raw.data(), raw.size());
        std::uint32_t x = 99;
        for (int round = 0; round < 60; round++) {
            std::vector<std::byte> img = seed;
            for (int k = 0; round && k < 4; k++) {
                x = x * 1103515245 + 12345;
                img[(x >> 4) % img.size()] ^= std::byte(1u << (x & 7));
            }
            try {
                const daxfs::Image image(img);
                std::uint64_t leaked = 0;
                (void)daxfs::validate_all(img, leaked);
                if (!daxfs::has_branches(image))
                    continue;
                const daxfs::BranchTable t(image);
                for (const daxfs_br &b : t.slots())
                    if (b.state != DAXFS_BRANCH_FREE)
                        (void)daxfs::replay_view(image, b.slot ? b.name : "main");
            } catch (const daxfs::Error &) {
                // refused: fine
            }
        }
    }
}

TEST_F(Replay, ImageWithoutBranches) {
    make_dir(dir_ / "plain");
    const auto plain = build_image(dir_ / "plain");
    const daxfs::Image image(plain);
    EXPECT_NO_THROW(daxfs::replay_view(image, "main"));
    try {
        daxfs::replay_view(image, "x");
        FAIL();
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EOPNOTSUPP);
    }
}

} // namespace
