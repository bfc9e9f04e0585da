// SPDX-License-Identifier: GPL-2.0 OR MIT
// Folding (common/daxfs_fold.c): the log a fold writes, replayed alone over the base image,
// gives exactly the view it folds (names, inode numbers, attributes and times to the ns,
// sizes, page maps, symlink targets), for hand-made hard cases and random programs.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <random>
#include <set>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "daxfs/branches.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fold.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/validate.hpp"
#include "daxfs_fold.h"
#include "daxfs_log.h"
#include "fold_check.hpp"
#include "helpers.hpp"
#include "log_writer.hpp"
#include "random_log.hpp"

using namespace testing_daxfs;

namespace {

constexpr std::int64_t kFoldTime = 1800000000123456789;

std::vector<std::byte> page_of(std::uint32_t seed) { return pattern(DAXFS_BLOCK_SIZE, seed); }

// Fold main of @img, replay only the fold over the base, and compare with main.
Folded fold_and_compare(std::vector<std::byte> &img) {
    Folded f = fold_main(img, kFoldTime);
    EXPECT_EQ(f.diff, "");
    return f;
}

class Fold : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        make_dir(dir_ / "src/a");
        make_dir(dir_ / "src/a/x");
        write_file(dir_ / "src/a/x/f1", pattern(9000, 1));
        make_dir(dir_ / "src/b");
        make_dir(dir_ / "src/b/y");
        write_file(dir_ / "src/b/y/g", pattern(100, 2));
        make_dir(dir_ / "src/c");
        write_file(dir_ / "src/c/c1", pattern(10, 3));
        make_dir(dir_ / "src/c/sub");
        write_file(dir_ / "src/c/sub/s1", pattern(20, 4));
        make_dir(dir_ / "src/e");
        write_file(dir_ / "src/f", pattern(5000, 5));
        write_file(dir_ / "src/big", pattern(3 * DAXFS_BLOCK_SIZE + 100, 6));
        write_file(dir_ / "src/h1", pattern(30, 7));
        ASSERT_EQ(::link((dir_ / "src/h1").c_str(), (dir_ / "src/a/h2").c_str()), 0);
        std::filesystem::create_symlink("f", dir_ / "src/lnk");
        set_mtime(dir_ / "src/a", 1600000000, 123);
        set_mtime(dir_ / "src", 1600000001, 456);
        img_ = build_branch_image(dir_ / "src", 16u << 20);
        const daxfs::Image base(img_);
        for (const char *p : {"/a", "/a/x", "/a/x/f1", "/b", "/b/y", "/b/y/g", "/c", "/c/c1",
                              "/c/sub", "/c/sub/s1", "/e", "/f", "/big", "/h1", "/lnk"})
            ino_[p] = base.lookup(p).ino;
    }

    std::uint64_t ino(const std::string &path) const { return ino_.at(path); }

    TempDir dir_;
    std::vector<std::byte> img_;
    std::map<std::string, std::uint64_t> ino_;
};

TEST_F(Fold, BaseOnly) {
    const Folded f = fold_and_compare(img_);
    // MKDIR limbo, UNLINK limbo, SETATTR of the root.
    EXPECT_EQ(f.records.size(), 3u);
}

TEST_F(Fold, DirMovedUnderNewDirUnderMovedBaseDir) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    const auto n = w.create(s, DAXFS_REC_MKDIR, ino("/b"), "N", S_IFDIR | 0750);
    w.rename(s, ino("/a/x"), ino("/a"), "x", n, "x2");
    w.now += 1000;
    w.rename(s, ino("/b"), DAXFS_ROOT_INO, "b", ino("/c/sub"), "b2");
    w.rename(s, ino("/c"), DAXFS_ROOT_INO, "c", ino("/e"), "c");
    w.commit(s);
    fold_and_compare(img_);
}

// New directories nested three deep, base directories moved in and out of them, and a new
// directory swapped with a base one.
TEST_F(Fold, NewAndBaseDirectoriesInterleaved) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    const auto n1 = w.create(s, DAXFS_REC_MKDIR, ino("/a/x"), "n1", S_IFDIR | 0755);
    const auto n2 = w.create(s, DAXFS_REC_MKDIR, n1, "n2", S_IFDIR | 0755);
    const auto n3 = w.create(s, DAXFS_REC_MKDIR, n2, "n3", S_IFDIR | 0755);
    w.rename(s, ino("/c"), DAXFS_ROOT_INO, "c", n3, "c");
    w.rename(s, n2, n1, "n2", ino("/e"), "n2");
    w.rename(s, ino("/a"), DAXFS_ROOT_INO, "a", ino("/c/sub"), "a");
    w.rename(s, n1, ino("/a/x"), "n1", ino("/b"), "y", DAXFS_RENAME_EXCHANGE);
    w.create(s, DAXFS_REC_CREATE, n3, "f", S_IFREG | 0600);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, BaseDirsSwapped) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/a/x"), ino("/a"), "x", ino("/b"), "y", DAXFS_RENAME_EXCHANGE);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, BaseDirsSwappedByRenames) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/a"), DAXFS_ROOT_INO, "a", DAXFS_ROOT_INO, "tmp");
    w.rename(s, ino("/b"), DAXFS_ROOT_INO, "b", DAXFS_ROOT_INO, "a");
    w.rename(s, ino("/a"), DAXFS_ROOT_INO, "tmp", DAXFS_ROOT_INO, "b");
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, FileRenamedOverBaseFile) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/big"), DAXFS_ROOT_INO, "big", ino("/c"), "c1");
    w.rename(s, ino("/f"), DAXFS_ROOT_INO, "f", ino("/a"), "h2");
    w.commit(s);
    const daxfs::Image image(img_);
    const auto v = daxfs::replay_view(image, "main");
    EXPECT_EQ(v.node(ino("/c/c1")).nlink, 0u);
    EXPECT_EQ(v.node(ino("/h1")).nlink, 1u);
    fold_and_compare(img_);
}

// A file renamed, then given back every time it had in the base: the fold still renames
// it, and sets its times again.
TEST_F(Fold, RenamedFileWithItsBaseTimes) {
    const daxfs::Image base(img_);
    const daxfs_ino in = base.inode(ino("/f"));
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/f"), DAXFS_ROOT_INO, "f", ino("/a"), "f");
    w.now = in.ctime * 1000000000 + in.ctime_nsec;
    const std::int64_t mtime = in.mtime * 1000000000 + in.mtime_nsec;
    w.setattr(s, ino("/f"), DAXFS_ATTR_MTIME | DAXFS_ATTR_ATIME, 0, 0, 0, mtime, mtime);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, HardLinksGainedAndLost) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.link(s, ino("/f"), ino("/a"), "f2");
    w.link(s, ino("/f"), ino("/b/y"), "f3");
    w.unlink(s, ino("/h1"), DAXFS_ROOT_INO, "h1");
    w.link(s, ino("/h1"), ino("/e"), "h3");
    w.unlink(s, ino("/h1"), ino("/a"), "h2");
    w.unlink(s, ino("/c/c1"), ino("/c"), "c1");
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, BaseDirRemovedAfterItsChildrenMoved) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/c/sub"), ino("/c"), "sub", ino("/e"), "sub");
    w.rename(s, ino("/c/c1"), ino("/c"), "c1", ino("/c/sub"), "c1");
    w.unlink(s, ino("/c"), DAXFS_ROOT_INO, "c");
    w.unlink(s, ino("/b/y/g"), ino("/b/y"), "g");
    w.unlink(s, ino("/b/y"), ino("/b"), "y");
    w.unlink(s, ino("/b"), DAXFS_ROOT_INO, "b");
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, TruncatedMidPageThenGrown) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.truncate(s, ino("/big"), 5000);
    w.write(s, ino("/big"), 20000, {{3, page_of(10)}});
    w.truncate(s, ino("/f"), 0);
    w.truncate(s, ino("/f"), 100);
    w.truncate(s, ino("/a/x/f1"), 4096);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, PagesPastTheSizeKept) {
    // A WRITE sets the size without dropping pages: a smaller one leaves mapped pages past
    // it, which a later growth shows again. The fold keeps them.
    LogWriter w(img_);
    const auto s = w.branch("t");
    const auto n = w.create(s, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "n", S_IFREG | 0644);
    w.write(s, n, 3 * DAXFS_BLOCK_SIZE, {{0, page_of(1)}, {2, page_of(2)}});
    w.write(s, n, 10, {});
    w.write(s, ino("/f"), 3 * DAXFS_BLOCK_SIZE, {{2, page_of(3)}});
    w.write(s, ino("/f"), 4000, {});
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, ManyPagesTakeSeveralWrites) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    const auto n = w.create(s, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "n", S_IFREG | 0644);
    std::map<std::uint64_t, std::vector<std::byte>> pages;
    for (std::uint64_t i = 0; i < 600; i++)
        pages[i] = page_of(static_cast<std::uint32_t>(i));
    for (auto it = pages.begin(); it != pages.end();) {
        std::map<std::uint64_t, std::vector<std::byte>> part;
        for (int k = 0; k < 200 && it != pages.end(); k++, ++it)
            part.insert(*it);
        w.write(s, n, 600 * DAXFS_BLOCK_SIZE - 7, part);
    }
    w.commit(s);
    const Folded f = fold_and_compare(img_);
    std::size_t writes = 0;
    for (const auto &r : f.records) {
        daxfs_rec h;
        std::memcpy(&h, r.data(), sizeof(h));
        writes += le16toh(h.type) == DAXFS_REC_WRITE;
    }
    EXPECT_EQ(writes, 3u); // 252 pages a record
}

TEST_F(Fold, SymlinksAndDevicesMadeInBranches) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    const auto d = w.create(s, DAXFS_REC_MKDIR, DAXFS_ROOT_INO, "dev", S_IFDIR | 0755);
    w.create(s, DAXFS_REC_MKNOD, d, "null", S_IFCHR | 0666, makedev(1, 3));
    w.create(s, DAXFS_REC_MKNOD, d, "sda", S_IFBLK | 0660, makedev(8, 0));
    w.create(s, DAXFS_REC_MKNOD, d, "fifo", S_IFIFO | 0600);
    w.create(s, DAXFS_REC_MKNOD, d, "sock", S_IFSOCK | 0755);
    const auto l = w.symlink(s, d, "l", "../a/x/f1");
    w.link(s, l, ino("/a"), "l2");
    w.unlink(s, ino("/lnk"), DAXFS_ROOT_INO, "lnk");
    w.symlink(s, DAXFS_ROOT_INO, "lnk", std::string(DAXFS_SYMLINK_MAX, 'z'));
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, CreatedThenDeletedLeavesNothing) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    for (int i = 0; i < 1000; i++) {
        const std::string name = "t" + std::to_string(i);
        const auto n = w.create(s, DAXFS_REC_CREATE, ino("/e"), name, S_IFREG | 0644);
        w.write(s, n, 100, {{0, page_of(static_cast<std::uint32_t>(i))}});
        w.unlink(s, n, ino("/e"), name);
        w.now += 1;
    }
    w.commit(s);
    const Folded f = fold_and_compare(img_);
    // Limbo in and out, the root's and /e's attributes.
    EXPECT_EQ(f.records.size(), 4u);
}

TEST_F(Fold, DirectoryTimesExact) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.now = 1700000000000000001;
    const auto n = w.create(s, DAXFS_REC_MKDIR, ino("/a"), "n", S_IFDIR | 0700);
    w.now = 1700000000000000002;
    w.create(s, DAXFS_REC_CREATE, n, "f", S_IFREG | 0600);
    w.now = 1700000000000000003;
    w.setattr(s, ino("/b"), DAXFS_ATTR_MTIME | DAXFS_ATTR_ATIME, 0, 0, 0, -1500000000,
              1234567890123);
    w.now = 1700000000000000004;
    w.setattr(s, n, DAXFS_ATTR_MTIME, 0, 0, 0, 5);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, RootAttributes) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.setattr(s, DAXFS_ROOT_INO, DAXFS_ATTR_MODE | DAXFS_ATTR_UID | DAXFS_ATTR_GID, 01777, 7, 8, 0);
    w.commit(s);
    fold_and_compare(img_);
}

TEST_F(Fold, ChainOfTwoCommits) {
    LogWriter w(img_);
    const auto s1 = w.branch("one");
    const auto n = w.create(s1, DAXFS_REC_CREATE, ino("/a"), "n", S_IFREG | 0644);
    w.write(s1, n, 5000, {{0, page_of(1)}, {1, page_of(2)}});
    w.rename(s1, ino("/a/x"), ino("/a"), "x", DAXFS_ROOT_INO, "x");
    w.commit(s1);
    const auto s2 = w.branch("two", s1);
    w.write(s2, n, 5000, {{1, page_of(3)}});
    w.rename(s2, ino("/a/x"), DAXFS_ROOT_INO, "x", ino("/a"), "x");
    w.unlink(s2, ino("/f"), DAXFS_ROOT_INO, "f");
    w.commit(s2);
    fold_and_compare(img_);
}

TEST_F(Fold, LimboNameTaken) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    // The created inode takes the next number; the limbo then the one after.
    w.create(s, DAXFS_REC_CREATE, DAXFS_ROOT_INO,
             std::string(DAXFS_FOLD_LIMBO_PREFIX) + std::to_string(next_ino(img_) + 1),
             S_IFREG | 0644);
    w.commit(s);
    const daxfs::Image image(img_);
    const auto v = daxfs::replay_view(image, "main");
    try {
        (void)daxfs::fold_records(v, next_ino(img_), kFoldTime);
        ADD_FAILURE() << "fold with the limbo's name taken";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), EEXIST);
    }
}

TEST_F(Fold, FoldOfAFoldIsTheSameView) {
    LogWriter w(img_);
    const auto s = w.branch("t");
    w.rename(s, ino("/a/x"), ino("/a"), "x", ino("/b"), "y", DAXFS_RENAME_EXCHANGE);
    w.link(s, ino("/f"), ino("/e"), "f");
    w.commit(s);
    const Folded f = fold_and_compare(img_);
    {
        const daxfs::Image image(img_);
        EXPECT_EQ(daxfs::BranchTable(image).main_chain(), std::vector<std::uint32_t>{f.slot});
    }
    fold_and_compare(img_);
}

// Random valid programs (two commits each) folded: the fold alone gives main's view.
TEST_F(Fold, RandomPrograms) {
    const daxfs::Image image(img_);
    const daxfs::Overlay base(image);
    std::size_t records = 0;
    for (std::uint32_t seed = 1; seed <= 200; seed++) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::vector<std::byte> img = img_;
        write_random_program(img, base, seed, 200);
        records += fold_and_compare(img).records.size();
        if (HasFailure())
            break;
    }
    EXPECT_GT(records, 200u * 10);
}

// The C entry point over a view with no node at all (the base as it is), and a sink that
// counts the records and fails from the @fail-th on.
struct CountingSink {
    int records = 0;
    int fail = 0;
    std::vector<std::uint16_t> types;

    static int emit(void *ctx, daxfs_rec *rec, u32) {
        auto &self = *static_cast<CountingSink *>(ctx);
        if (self.fail && self.records + 1 >= self.fail)
            return -ENOSPC;
        self.records++;
        self.types.push_back(le16toh(rec->type));
        return 0;
    }
};

struct EmptyView {
    static int each_node(void *, int (*)(void *, const daxfs_vnode *), void *) { return 0; }
    static const daxfs_vnode *node(void *, u64) { return nullptr; }
    static int dir_changed(void *, const daxfs_vnode *) { return 0; }
    static int each_entry(void *, const daxfs_vnode *, int (*)(void *, const daxfs_ventry *),
                          void *) {
        return 0;
    }
    static int lookup(void *, const daxfs_vnode *, const char *, u32, u64 *) { return -ENOENT; }
    static int each_page(void *, const daxfs_vnode *, int (*)(void *, u64, u64), void *) {
        return 0;
    }
    static u64 link_page(void *, const daxfs_vnode *) { return 0; }
    static constexpr daxfs_fold_view_ops ops{each_node, node,      dir_changed, each_entry,
                                             lookup,    each_page, link_page};
};

int fold_empty_view(const std::vector<std::byte> &img, CountingSink &counter) {
    const daxfs::Image image(img);
    const daxfs_fold_sink sink{CountingSink::emit, &counter};
    daxfs_report rep{};
    return daxfs_fold_write(image.region().data(), &image.geo(), &EmptyView::ops, nullptr,
                            next_ino(img), kFoldTime, &sink, &rep);
}

TEST_F(Fold, ViewWithoutNodesIsTheBase) {
    CountingSink counter;
    EXPECT_EQ(fold_empty_view(img_, counter), 0);
    EXPECT_EQ(counter.types,
              (std::vector<std::uint16_t>{DAXFS_REC_MKDIR, DAXFS_REC_UNLINK, DAXFS_REC_SETATTR}));
}

TEST_F(Fold, SinkErrorStopsTheFold) {
    CountingSink counter;
    counter.fail = 2;
    EXPECT_EQ(fold_empty_view(img_, counter), -ENOSPC);
    EXPECT_EQ(counter.records, 1);
}

} // namespace

// The owner table entry of delta page @page.
void set_owner(std::vector<std::byte> &img, std::uint64_t page, std::uint32_t owner) {
    const daxfs::Image image(img);
    const __le32 o = htole32(owner);
    std::memcpy(img.data() + image.geo().delta_off + 4 * page, &o, sizeof(o));
}

// Pages main's fold names, from its WRITE and SYMLINK records.
std::vector<std::uint64_t> fold_pages(const std::vector<std::byte> &img, const Folded &f) {
    const daxfs::Image image(img);
    std::vector<std::uint64_t> pages;
    for (const auto &rec : f.records) {
        daxfs_lrec r{};
        daxfs_report rep{};
        EXPECT_EQ(daxfs_rec_decode(rec.data(), static_cast<std::uint32_t>(rec.size()), &image.geo(),
                                   &r, &rep),
                  0);
        for (std::uint32_t i = 0; r.type == DAXFS_REC_WRITE && i < r.count; i++) {
            std::uint64_t index, page;
            daxfs_lrec_page(&r, i, &index, &page);
            pages.push_back(page);
        }
        if (r.type == DAXFS_REC_SYMLINK)
            pages.push_back(r.page);
    }
    return pages;
}

// A published fold whose folded slots are not freed yet (a crash between the fold and its
// reap): every page it names is the fold's or a folded slot's. One FREE, or owned by a slot
// still in use, is in use and free (or in two places) at once: fsck must say so.
TEST_F(Fold, PublishedFoldNamesOnlyPagesInUse) {
    LogWriter w(img_);
    const auto s1 = w.branch("one");
    const auto n = w.create(s1, DAXFS_REC_CREATE, ino("/a"), "n", S_IFREG | 0644);
    w.write(s1, n, 3 * DAXFS_BLOCK_SIZE, {{0, page_of(1)}, {1, page_of(2)}, {2, page_of(3)}});
    w.symlink(s1, DAXFS_ROOT_INO, "sl", "a/n");
    w.commit(s1);
    const auto s2 = w.branch("two", s1);
    w.write(s2, n, 3 * DAXFS_BLOCK_SIZE, {{1, page_of(4)}});
    w.commit(s2);
    const auto open = w.branch("open", s2);

    const Folded f = publish_fold(img_, kFoldTime);
    EXPECT_EQ(f.diff, "");
    const std::vector<std::uint64_t> pages = fold_pages(img_, f);
    ASSERT_EQ(pages.size(), 4u); // the symlink's (its record comes first), n's three pages
    std::uint64_t leaked = 0;
    daxfs::Validation v = daxfs::validate_all(img_, leaked);
    EXPECT_TRUE(v.ok) << v.message;
    {
        const daxfs::BranchTable t{daxfs::Image(img_)};
        EXPECT_TRUE(t.folded(s1));
        EXPECT_FALSE(t.folded(s2)); // main_head's slot: kept until the head moves on
        EXPECT_FALSE(t.folded(f.slot));
    }

    // Handed over one by one, as the reap does: always clean.
    set_owner(img_, pages[3], DAXFS_OWNER(f.slot));
    v = daxfs::validate_all(img_, leaked);
    EXPECT_TRUE(v.ok) << v.message;

    for (const std::uint32_t bad : {DAXFS_OWNER_FREE, DAXFS_OWNER(open)}) {
        std::vector<std::byte> img = img_;
        set_owner(img, pages[1], bad);
        v = daxfs::validate_all(img, leaked);
        EXPECT_FALSE(v.ok);
        EXPECT_NE(v.message.find("fold slot " + std::to_string(f.slot) + " names page " +
                                 std::to_string(pages[1])),
                  std::string::npos)
            << v.message;
    }
    std::vector<std::byte> img = img_;
    set_owner(img, pages[0], DAXFS_OWNER_FREE); // the symlink's target page
    v = daxfs::validate_all(img, leaked);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.message.find("names page " + std::to_string(pages[0]) + ", which is free"),
              std::string::npos)
        << v.message;
}

// After a fold's reap the folded slots are free, their parent fields stale; new branches
// take those slots again, the first on the fold's top. Their links may then form a loop
// through stale fields (slot 1 on the top, slot 2 whose parent is 1, slot 1's stale parent
// 2): the image is whole, the walk stops at the top.
TEST_F(Fold, SlotsTakenAgainAfterTheReap) {
    LogWriter w(img_);
    const auto s1 = w.branch("one");
    const auto n = w.create(s1, DAXFS_REC_CREATE, ino("/a"), "n", S_IFREG | 0644);
    w.write(s1, n, DAXFS_BLOCK_SIZE, {{0, page_of(1)}});
    w.commit(s1);
    const auto s2 = w.branch("two", s1);
    w.write(s2, n, DAXFS_BLOCK_SIZE, {{0, page_of(2)}});
    w.commit(s2);
    ASSERT_EQ(s1, 1u);
    ASSERT_EQ(s2, 2u);
    const Folded f = publish_fold(img_, kFoldTime);
    ASSERT_EQ(f.diff, "");
    // The reap: the fold's pages handed over, the folded slots' others and the slots freed.
    const daxfs_geo geo = daxfs::Image(img_).geo();
    for (const std::uint64_t page : fold_pages(img_, f))
        set_owner(img_, page, DAXFS_OWNER(f.slot));
    for (std::uint64_t page = geo.meta_pages; page < geo.delta_pages; page++) {
        __le32 o;
        std::memcpy(&o, img_.data() + geo.delta_off + 4 * page, sizeof(o));
        if (le32toh(o) == DAXFS_OWNER(s1) || le32toh(o) == DAXFS_OWNER(s2))
            set_owner(img_, page, DAXFS_OWNER_FREE);
    }
    auto set_state = [&](std::uint32_t s, std::uint32_t state) {
        const std::uint64_t at = geo.branch_off + s * sizeof(daxfs_branch);
        daxfs_branch br;
        std::memcpy(&br, img_.data() + at, sizeof(br));
        br.state = htole32(state);
        std::memcpy(img_.data() + at, &br, sizeof(br));
    };
    set_state(s1, DAXFS_BRANCH_FREE);
    set_state(s2, DAXFS_BRANCH_FREE);
    std::uint64_t leaked = 0;
    daxfs::Validation v = daxfs::validate_all(img_, leaked);
    ASSERT_TRUE(v.ok) << v.message;
    // w3 takes slot 1 on the top (slot 2, free, its generation kept); w4 slot 2 on w3.
    LogWriter again(img_); // log sequence numbers start again in reused slots
    const auto w3 = again.branch("three", s2);
    const auto w4 = again.branch("four", w3);
    ASSERT_EQ(w3, 1u);
    ASSERT_EQ(w4, 2u);
    again.write(w4, n, DAXFS_BLOCK_SIZE, {{0, page_of(3)}});
    v = daxfs::validate_all(img_, leaked);
    EXPECT_TRUE(v.ok) << v.message;
}
