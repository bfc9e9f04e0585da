// SPDX-License-Identifier: GPL-2.0 OR MIT
// Folding as the tools show it (issue 12): main's history in daxfs-branch list and
// daxfs-inspect info (the fold, folded slots and the pages they hold, live readers) on an
// image with a fold made by hand, and daxfs-branch gc's messages and command line (the
// ioctl itself needs a kernel: tests/vm).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "daxfs/fold_report.hpp"
#include "daxfs/main_history.hpp"
#include "daxfs_check.h"
#include "helpers.hpp"
#include "log_writer.hpp"

using namespace testing_daxfs;

namespace {

const std::string mkdaxfs = DAXFS_MKDAXFS;
const std::string inspect = DAXFS_INSPECT;
const std::string branch = DAXFS_BRANCH;

// The line of @out that starts with @label, without it.
std::string line_of(const std::string &out, const std::string &label) {
    const std::size_t at = out.find("\n" + label);
    if (at == std::string::npos)
        return "";
    const std::size_t from = at + 1 + label.size();
    return out.substr(from, out.find('\n', from) - from);
}

class FoldTools : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        write_file(dir_ / "src/a", pattern(5000, 1));
        img_ = dir_ / "img";
        const RunResult r =
            run(quote(mkdaxfs) + " -q -b 1M -d " + quote(dir_ / "src") + " -o " + quote(img_));
        ASSERT_EQ(r.status, 0) << r.err;
        bytes_ = read_bytes(img_);
        write_bytes(plain_ = dir_ / "plain", bytes_); // no commits: main's chain is empty
    }

    // Three commits, a fold of them by hand, one commit over the fold, two mounts
    // registered as readers (one not past the fold) and an active branch.
    void fold_history() {
        LogWriter w(bytes_);
        c1_ = w.branch("c1");
        const std::uint64_t hello =
            w.create(c1_, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "hello", S_IFREG | 0644);
        const std::uint64_t page = w.alloc(c1_);
        std::memset(bytes_.data() + w.page_off(page), 'x', 3);
        w.write_pages(c1_, hello, 3, {{0, page}});
        w.commit(c1_);
        c2_ = w.branch("c2", c1_);
        const std::uint64_t two =
            w.create(c2_, DAXFS_REC_MKDIR, DAXFS_ROOT_INO, "two", S_IFDIR | 0755);
        w.commit(c2_);
        c3_ = w.branch("c3", c2_);
        w.unlink(c3_, 2, DAXFS_ROOT_INO, "a"); // inode 2 is /a
        w.commit(c3_);
        // The fold of main at c3: one log giving the same view, naming c1's data page.
        fold_ = w.branch("fold", c3_);
        w.create(fold_, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "hello", S_IFREG | 0644, 0, hello);
        w.write_pages(fold_, hello, 3, {{0, page}});
        w.create(fold_, DAXFS_REC_MKDIR, DAXFS_ROOT_INO, "two", S_IFDIR | 0755, 0, two);
        w.unlink(fold_, 2, DAXFS_ROOT_INO, "a");
        w.fold(fold_, 4);
        // A branch made after the fold hangs off main's head, the fold's top.
        c4_ = w.branch("c4", c3_);
        w.create(c4_, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "later", S_IFREG | 0600);
        w.commit(c4_);
        w.branch("work", c4_);
        w.reader(0, DAXFS_BEAT_MARK | 7, 4);
        w.reader(5, DAXFS_BEAT_MARK | 9, 3); // has not seen the fold yet
        write_bytes(img_, bytes_);
    }

    RunResult br(const std::string &args) { return run(quote(branch) + " " + args); }
    RunResult in(const std::string &args) { return run(quote(inspect) + " " + args); }

    TempDir dir_;
    std::string img_, plain_;
    std::vector<std::byte> bytes_;
    std::uint32_t c1_ = 0, c2_ = 0, c3_ = 0, fold_ = 0, c4_ = 0;
};

const char *const kFoldedLine =
    "main's chain: 2 slots (the fold in slot 4 and 1 commit since); folded: 3 slots holding "
    "4 pages (16.0 KiB), being freed; readers: 2 live, 1 not yet past the fold";

TEST_F(FoldTools, HistoryOfAFoldedMain) {
    fold_history();
    const daxfs::Image image(bytes_);
    const daxfs::BranchTable table(image);
    EXPECT_EQ(table.main_chain(), (std::vector<std::uint32_t>{fold_, c4_}));
    const daxfs::MainHistory h = daxfs::main_history(table);
    EXPECT_TRUE(h.folding);
    EXPECT_TRUE(h.chain_ok);
    EXPECT_EQ(h.chain_slots, 2u);
    EXPECT_EQ(h.commits_since_fold(), 1u);
    EXPECT_EQ(h.fold_slot, fold_);
    EXPECT_EQ(h.fold_top, DAXFS_HEAD(c3_, table.slot(c3_).generation));
    EXPECT_EQ(h.folded_slots, 3u);
    // c1: a log page and a data page (the fold names it: the folder hands it over); c2,
    // c3: a log page each
    EXPECT_EQ(h.reclaimable_pages, 4u);
    EXPECT_EQ(h.fold_need, 4u);
    EXPECT_EQ(h.readers, 2u);
    EXPECT_EQ(h.readers_behind, 1u);
    EXPECT_EQ(daxfs::history_text(h), kFoldedLine);
}

TEST_F(FoldTools, ListShowsTheFoldAndFoldedSlots) {
    fold_history();
    const RunResult t = br("list " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(line_of(t.out, "history: "), kFoldedLine) << t.out;
    const RunResult j = br("list --json " + quote(img_));
    ASSERT_EQ(j.status, 0) << j.err;
    const auto list = nlohmann::json::parse(j.out);
    std::map<std::string, std::string> state;
    std::map<std::string, bool> on_main;
    for (const auto &row : list) {
        state[row["name"]] = row["state"];
        on_main[row["name"]] = row["on_main"];
    }
    EXPECT_EQ(state["main"], "main");
    for (const char *folded : {"c1", "c2", "c3"}) {
        EXPECT_EQ(state[folded], "folded") << folded;
        EXPECT_FALSE(on_main[folded]) << folded;
    }
    EXPECT_EQ(state["fold"], "fold");
    EXPECT_TRUE(on_main["fold"]);
    EXPECT_EQ(state["c4"], "committed");
    EXPECT_EQ(state["work"], "active"); // over main's head: still valid
    const auto &h = list[0]["history"];
    EXPECT_EQ(h["chain_slots"], 2);
    EXPECT_EQ(h["commits_since_fold"], 1);
    EXPECT_EQ(h["fold_slot"], fold_);
    EXPECT_EQ(h["fold_top"]["slot"], c3_);
    EXPECT_EQ(h["folded_slots"], 3);
    EXPECT_EQ(h["reclaimable_pages"], 4);
    EXPECT_EQ(h["reclaimable_bytes"], 4 * DAXFS_BLOCK_SIZE);
    EXPECT_EQ(h["readers"], 2);
    EXPECT_EQ(h["readers_behind"], 1);
    EXPECT_EQ(list[1].count("history"), 0u);
}

TEST_F(FoldTools, InspectInfoAndViewOfAFoldedMain) {
    fold_history();
    const RunResult c = in("check " + quote(img_));
    EXPECT_EQ(c.status, 0) << c.out << c.err;
    EXPECT_EQ(in("ls " + quote(img_) + " /").out, "hello\nlater\ntwo\n");
    EXPECT_EQ(in("cat " + quote(img_) + " /hello").out, "xxx");
    const RunResult t = in("info " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(line_of(t.out, "history:      "), kFoldedLine) << t.out;
    EXPECT_NE(t.out.find("  fold  "), std::string::npos) << t.out;
    const RunResult j = in("info --json " + quote(img_));
    ASSERT_EQ(j.status, 0) << j.err;
    const auto b = nlohmann::json::parse(j.out)["branches"];
    EXPECT_EQ(b["fold_head"]["slot"], fold_);
    EXPECT_EQ(b["history"]["fold_slot"], fold_);
    EXPECT_EQ(b["history"]["folded_slots"], 3);
    EXPECT_EQ(b["history"]["reclaimable_pages"], 4);
    EXPECT_EQ(b["history"]["readers"], 2);
    EXPECT_EQ(b["list"].size(), 7u);
}

TEST_F(FoldTools, HistoryWithoutAFold) {
    const RunResult t = br("list " + quote(plain_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(line_of(t.out, "history: "),
              "main's chain: empty (nothing committed); folded: none; readers: 0 live");
    LogWriter w(bytes_);
    w.commit(w.branch("one"));
    w.reader(2, DAXFS_BEAT_MARK | 1, 1);
    write_bytes(img_, bytes_);
    EXPECT_EQ(line_of(in("info " + quote(img_)).out, "history:      "),
              "main's chain: 1 slot (1 commit, no fold); folded: none; readers: 1 live");
    const auto list = nlohmann::json::parse(br("list --json " + quote(img_)).out);
    EXPECT_EQ(list[1]["state"], "committed");
    EXPECT_EQ(list[0]["history"]["fold_slot"], 0);
    EXPECT_EQ(list[0]["history"]["folded_slots"], 0);
}

TEST_F(FoldTools, HistoryOfAnImageWithoutFolding) {
    LogWriter w(bytes_);
    w.commit(w.branch("one"));
    daxfs_super sb;
    std::memcpy(&sb, bytes_.data(), sizeof(sb));
    sb.feature_incompat = cpu_to_le32(DAXFS_FEATURE_INCOMPAT_BRANCHES);
    sb.checksum = cpu_to_le32(daxfs_super_csum(&sb));
    std::memcpy(bytes_.data(), &sb, sizeof(sb));
    write_bytes(img_, bytes_);
    const RunResult t = br("list " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(line_of(t.out, "history: "),
              "main's chain: 1 slot (1 commit); no folding (the image was made without it)");
    const auto list = nlohmann::json::parse(br("list --json " + quote(img_)).out);
    EXPECT_EQ(list[0]["history"]["folding"], false);
    EXPECT_EQ(list[0]["history"]["readers"], 0);
}

TEST_F(FoldTools, ListOfABrokenFoldHead) {
    fold_history();
    daxfs_live live;
    std::memcpy(&live, bytes_.data() + DAXFS_SUPER_FIXED_SIZE, sizeof(live));
    live.fold_head = cpu_to_le64(DAXFS_HEAD(c4_, 1)); // a slot that is not a fold
    std::memcpy(bytes_.data() + DAXFS_SUPER_FIXED_SIZE, &live, sizeof(live));
    write_bytes(img_, bytes_);
    const RunResult t = br("list " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err; // lists what is there; check tells what is wrong
    EXPECT_EQ(line_of(t.out, "history: "), "main's chain: broken (daxfs-inspect check tells "
                                           "why); folded: none; readers: 2 live, 1 not yet "
                                           "past the fold");
    EXPECT_EQ(t.out.find("folded "), std::string::npos) << t.out;
    EXPECT_EQ(in("check " + quote(img_)).status, 1);
}

TEST(FoldReport, Text) {
    daxfs_ioc_fold f{};
    f.fold_slot = 7;
    f.slots_freed = 31;
    f.records = 123;
    f.log_pages = 2;
    f.pages_freed = 4096;
    f.ns = 12'345'678;
    EXPECT_EQ(daxfs::fold_text(f), "folded main into slot 7: 123 records, 2 log pages; freed 31 "
                                   "slots, 4,096 pages (16.0 MiB) in 12.3 ms\n");
    f.pending = 1;
    f.records = 1;
    f.log_pages = 1;
    f.slots_freed = 0;
    f.pages_freed = 0;
    f.ns = 2'500'000'000;
    const std::string two = daxfs::fold_text(f);
    EXPECT_EQ(two.substr(0, two.find('\n')), "folded main into slot 7: 1 record, 1 log page; "
                                             "freed 0 slots, 0 pages (0 bytes) in 2.50 s");
    EXPECT_NE(two.find("\nthe rest of the folded history is freed once every mount has seen "
                       "the fold"),
              std::string::npos)
        << two;
    f.pending = 0;
    f.runs = 3;
    const std::string three = daxfs::fold_text(f);
    EXPECT_EQ(three.substr(three.find('\n') + 1),
              "moved 3 scattered parts of files (6.0 MiB) into aligned 2 MiB runs\n");
    const daxfs_ioc_fold none{};
    EXPECT_EQ(daxfs::fold_text(none), "nothing to fold: main has no commit since the last fold\n");
}

TEST(FoldReport, Json) {
    daxfs_ioc_fold f{};
    f.fold_slot = 9;
    f.slots_freed = 3;
    f.records = 40;
    f.log_pages = 1;
    f.pages_freed = 10;
    f.pending = 1;
    f.runs = 2;
    f.ns = 5000;
    const auto j = daxfs::fold_json(f);
    EXPECT_EQ(j, nlohmann::json::parse(R"({"fold_slot":9,"slots_freed":3,"records":40,
        "log_pages":1,"pages_freed":10,"bytes_freed":40960,"runs":2,"pending":true,
        "ns":5000})"));
}

TEST(FoldReport, Errors) {
    EXPECT_EQ(daxfs::fold_error(EINVAL, "/mnt/w"),
              "'/mnt/w' is a writable branch: gc runs on a mount of main (or a committed "
              "branch)");
    EXPECT_EQ(daxfs::fold_error(EOPNOTSUPP, "/mnt"),
              "the image was made without folding (an older mkdaxfs): rebuild it with mkdaxfs "
              "--from to fold");
    EXPECT_NE(daxfs::fold_error(ESTALE, "/mnt/b").find("'/mnt/b' is invalid"), std::string::npos);
    EXPECT_NE(daxfs::fold_error(EPERM, "/mnt").find("root"), std::string::npos);
    EXPECT_NE(daxfs::fold_error(ENOTTY, "/mnt").find("older module"), std::string::npos);
    EXPECT_NE(daxfs::fold_error(EIO, "/mnt").find("Input/output error"), std::string::npos);
    for (int err : {EINVAL, EOPNOTSUPP, ESTALE, EPERM, ENOTTY, ENOSPC, EIO})
        EXPECT_EQ(daxfs::fold_error(err, "/mnt").find('\n'), std::string::npos) << err;
}

TEST_F(FoldTools, GcCommandLine) {
    for (const char *bad : {"gc", "gc -m", "gc --bogus -m /mnt", "gc -m /mnt extra", "gc --json"}) {
        const RunResult r = br(bad);
        EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    }
    const RunResult notmnt = br("gc -m " + quote(dir_.path()));
    EXPECT_EQ(notmnt.status, 1);
    EXPECT_EQ(notmnt.err,
              "daxfs-branch: '" + std::string(dir_.path()) + "' is not a daxfs mount\n");
    const RunResult missing = br("gc --json -m " + quote(dir_ / "nosuch"));
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    EXPECT_TRUE(missing.out.empty()) << missing.out;
    const RunResult help = br("gc --help");
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("Fold main's history now"), std::string::npos) << help.out;
}

} // namespace
