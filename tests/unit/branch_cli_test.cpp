// SPDX-License-Identifier: GPL-2.0 OR MIT
// The built tools on images with branches: daxfs-branch list/diff offline, daxfs-inspect
// check/info/ls/cat --branch, mkdaxfs --from flattening main, and daxfs-branch's command
// line (the mount and ioctl paths need a kernel: tests/vm).
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "daxfs/mounts.hpp"
#include "helpers.hpp"
#include "log_writer.hpp"

using namespace testing_daxfs;

namespace {

const std::string mkdaxfs = DAXFS_MKDAXFS;
const std::string inspect = DAXFS_INSPECT;
const std::string branch = DAXFS_BRANCH;

class BranchTools : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        write_file(dir_ / "src/a", pattern(5000, 1));
        make_dir(dir_ / "src/d");
        img_ = dir_ / "img";
        const RunResult r =
            run(quote(mkdaxfs) + " -q -b 1M -d " + quote(dir_ / "src") + " -o " + quote(img_));
        ASSERT_EQ(r.status, 0) << r.err;
        bytes_ = read_bytes(img_);
        w_ = std::make_unique<LogWriter>(bytes_);
        LogWriter &w = *w_;
        slot_ = w.branch("feat");
        const std::uint64_t f =
            w.create(slot_, DAXFS_REC_CREATE, DAXFS_ROOT_INO, "hello", S_IFREG | 0644);
        std::vector<std::byte> page(4096, std::byte{'x'});
        w.write(slot_, f, 3, {{0, page}});
        w.unlink(slot_, 2, DAXFS_ROOT_INO, "a"); // inode 2 is /a (breadth first, by name)
        write_bytes(img_, bytes_);
    }
    RunResult br(const std::string &args) { return run(quote(branch) + " " + args); }
    RunResult in(const std::string &args) { return run(quote(inspect) + " " + args); }

    TempDir dir_;
    std::string img_;
    std::vector<std::byte> bytes_;
    std::unique_ptr<LogWriter> w_;
    std::uint32_t slot_ = 0;
};

TEST_F(BranchTools, ListTableAndJson) {
    const RunResult t = br("list " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_NE(t.out.find("feat"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("active"), std::string::npos) << t.out;
    const RunResult j = br("list --json " + quote(img_));
    ASSERT_EQ(j.status, 0) << j.err;
    const auto list = nlohmann::json::parse(j.out);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1]["name"], "feat");
    EXPECT_EQ(list[1]["parent"], "main");
    EXPECT_EQ(list[1]["state"], "active");
    EXPECT_EQ(list[1]["bytes"], 2 * 4096); // a log page and a data page
    EXPECT_EQ(list[1]["mounts"], 0);
}

TEST_F(BranchTools, DiffOffline) {
    const RunResult t = br("diff feat " + quote(img_));
    ASSERT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(t.out, "D /a  (5000 bytes)\nA /hello  (3 bytes)\n");
    const RunResult j = br("diff --json feat " + quote(img_));
    ASSERT_EQ(j.status, 0) << j.err;
    const auto d = nlohmann::json::parse(j.out);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0]["change"], "deleted");
    EXPECT_EQ(d[1]["change"], "added");
    EXPECT_EQ(d[1]["size"], 3);
    const RunResult none = br("diff nosuch " + quote(img_));
    EXPECT_EQ(none.status, 1);
    EXPECT_NE(none.err.find("no branch"), std::string::npos) << none.err;
}

TEST_F(BranchTools, InspectReadsBranches) {
    const RunResult c = in("check " + quote(img_));
    EXPECT_EQ(c.status, 0) << c.out << c.err;
    EXPECT_EQ(c.out, "OK\n");
    EXPECT_EQ(in(quote(img_) + " check").out, "OK\n"); // IMAGE first reads the same
    const RunResult ls = in("ls --branch feat " + quote(img_) + " /");
    ASSERT_EQ(ls.status, 0) << ls.err;
    EXPECT_EQ(ls.out, "d\nhello\n");
    const RunResult main = in("ls " + quote(img_) + " /");
    EXPECT_EQ(main.out, "a\nd\n");
    const RunResult cat = in("cat --branch feat " + quote(img_) + " /hello");
    EXPECT_EQ(cat.out, "xxx");
    const RunResult info = in("info --json " + quote(img_));
    ASSERT_EQ(info.status, 0) << info.err;
    const auto j = nlohmann::json::parse(info.out);
    EXPECT_EQ(j["branches"]["list"].size(), 2u);
    const RunResult log = in("log --branch feat " + quote(img_));
    ASSERT_EQ(log.status, 0) << log.err;
    EXPECT_NE(log.out.find("seq 1 CREATE ino 4"), std::string::npos) << log.out;
    EXPECT_NE(log.out.find("UNLINK ino 2 time"), std::string::npos) << log.out;
    const auto recs = nlohmann::json::parse(in("log --json --branch feat " + quote(img_)).out);
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[1]["type"], "WRITE");
    EXPECT_EQ(recs[1]["size"], 3);
    EXPECT_EQ(in("log --json " + quote(img_)).out, "[]\n"); // nothing committed
    const RunResult fsck = run(quote(DAXFS_FSCK) + " -n " + quote(img_));
    EXPECT_EQ(fsck.status, 0) << fsck.out << fsck.err;
}

TEST_F(BranchTools, CheckFindsACorruptLog) {
    bytes_[w_->last_record_off(slot_) + 40] ^= std::byte{1};
    write_bytes(img_, bytes_);
    const RunResult c = in("check --json " + quote(img_));
    EXPECT_EQ(c.status, 1) << c.out;
    EXPECT_EQ(nlohmann::json::parse(c.out)["error"], "EUCLEAN");
    const RunResult fsck = run(quote(DAXFS_FSCK) + " " + quote(img_));
    EXPECT_EQ(fsck.status, 4) << fsck.out << fsck.err;
}

TEST_F(BranchTools, FromFlattensMain) {
    w_->commit(slot_);
    write_bytes(img_, bytes_);
    const std::string flat = dir_ / "flat";
    const RunResult m = run(quote(mkdaxfs) + " -q --from " + quote(img_) + " -o " + quote(flat));
    ASSERT_EQ(m.status, 0) << m.err;
    EXPECT_EQ(in("check " + quote(flat)).status, 0);
    EXPECT_EQ(in("ls " + quote(flat) + " /").out, "d\nhello\n");
    EXPECT_EQ(in("cat " + quote(flat) + " /hello").out, "xxx");
    // main of the branched image reads the same, and feat is now part of it
    EXPECT_EQ(in("ls " + quote(img_) + " /").out, "d\nhello\n");
    const auto list = nlohmann::json::parse(br("list --json " + quote(img_)).out);
    EXPECT_EQ(list[1]["state"], "committed");
    EXPECT_EQ(list[1]["on_main"], true);
    // and flattening again into an image with branches works too
    const RunResult b =
        run(quote(mkdaxfs) + " -q -b --from " + quote(img_) + " -o " + quote(dir_ / "flat-b"));
    ASSERT_EQ(b.status, 0) << b.err;
    EXPECT_EQ(in("check " + quote(dir_ / "flat-b")).status, 0);
}

TEST_F(BranchTools, CommandLine) {
    for (const char *bad :
         {"", "--bogus", "create", "create x", "commit", "list --phys 1", "diff", "list a b",
          "info", "create x -m /tmp --phys 1", "create x -m /tmp --phys 1Q --size 2"}) {
        const RunResult r = br(bad);
        EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    }
    const RunResult help = br("create --help");
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("exactly one daxfs region is mounted"), std::string::npos);
    const RunResult notmnt = br("commit -m " + quote(dir_.path()));
    EXPECT_EQ(notmnt.status, 1);
    EXPECT_NE(notmnt.err.find("not a daxfs mount"), std::string::npos) << notmnt.err;
}

TEST(Mounts, ParseProcMounts) {
    const auto m = daxfs::parse_mounts(
        "proc /proc proc rw 0 0\n"
        "none /mnt daxfs ro,relatime,phys=0x40000000,size=268435456 0 0\n"
        "none /mnt/my\\040work daxfs rw,phys=0x40000000,size=256M,branch=work 0 0\n"
        "none /x daxfs rw 0 0\n");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].dir, "/mnt");
    EXPECT_EQ(m[0].branch, "main");
    EXPECT_TRUE(m[0].read_only);
    EXPECT_EQ(m[0].phys, 0x40000000u);
    EXPECT_EQ(m[1].dir, "/mnt/my work");
    EXPECT_EQ(m[1].size, 256u << 20);
    EXPECT_EQ(m[1].branch, "work");
    EXPECT_EQ(daxfs::branch_mount_options(0x1000, 4096, "w", std::string("main")),
              "phys=0x1000,size=4096,branch=w,parent=main");
}

} // namespace
