// SPDX-License-Identifier: GPL-2.0 OR MIT
// The built mkdaxfs, daxfs-inspect and fsck.daxfs binaries: exit codes, messages, JSON.
#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "daxfs/reader.hpp"
#include "helpers.hpp"
#include "rich_tree.hpp"

using namespace testing_daxfs;

namespace {

const std::string mkdaxfs = DAXFS_MKDAXFS;
const std::string inspect = DAXFS_INSPECT;
const std::string fsck = DAXFS_FSCK;

std::size_t lines(const std::string &s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class Cli : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(tree_ / "src");
        write_file(tree_ / "src/hello", {std::byte{'h'}, std::byte{'i'}, std::byte{'\n'}});
        make_dir(tree_ / "src/sub");
        write_file(tree_ / "src/sub/big", pattern(70000, 4));
        ASSERT_EQ(::symlink("hello", (tree_ / "src/link").c_str()), 0);
        img_ = tree_ / "img";
    }

    RunResult mk(const std::string &args) { return run(quote(mkdaxfs) + " " + args); }
    RunResult in(const std::string &args) { return run(quote(inspect) + " " + args); }

    TempDir tree_;
    std::string img_;
};

TEST_F(Cli, UnknownOptionIsOneLineAndExit2) {
    const RunResult m = mk("--foo");
    EXPECT_EQ(m.status, 2);
    EXPECT_EQ(m.err, "mkdaxfs: unknown option --foo (see --help)\n");
    EXPECT_EQ(m.out, "");
    const RunResult i = in("check --frobnicate x");
    EXPECT_EQ(i.status, 2);
    EXPECT_EQ(lines(i.err), 1u) << i.err;
    const RunResult f = run(quote(fsck) + " -Z x");
    EXPECT_EQ(f.status, 16);
    EXPECT_EQ(lines(f.err), 1u) << f.err;
}

TEST_F(Cli, UsageErrors) {
    for (const char *args : {"", "-d x", "-o y", "-d x -p 0x1000", "-d x -o y -s 4K",
                             "-d x --from y -o z", "-d x -o"}) {
        const RunResult r = mk(args);
        EXPECT_EQ(r.status, 2) << args;
        EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    }
    EXPECT_EQ(in("").status, 2);
    EXPECT_EQ(in("cat " + quote(img_)).status, 2); // PATH missing
}

TEST_F(Cli, HelpExplainsAndSucceeds) {
    const RunResult r = mk("--help");
    EXPECT_EQ(r.status, 0);
    for (const char *word : {"--directory", "--output", "--phys", "--size", "--from", "--json"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
    EXPECT_EQ(in("--help").status, 0);
    EXPECT_EQ(run(quote(fsck) + " --help").status, 0);
}

TEST_F(Cli, BuildJsonAndInspect) {
    const RunResult r = mk("-d " + quote(tree_ / "src") + " -o " + quote(img_) + " --json");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("inodes"), 5);
    EXPECT_EQ(j.at("files"), 2);
    EXPECT_EQ(j.at("dirs"), 2);
    EXPECT_EQ(j.at("symlinks"), 1);
    EXPECT_EQ(j.at("data_bytes"), 70003);
    struct stat st;
    ASSERT_EQ(::stat(img_.c_str(), &st), 0);
    EXPECT_EQ(j.at("image_bytes"), st.st_size);

    const RunResult c = in("check --json " + quote(img_));
    EXPECT_EQ(c.status, 0);
    EXPECT_EQ(nlohmann::json::parse(c.out).at("ok"), true);
    EXPECT_EQ(in("check " + quote(img_)).out, "OK\n");

    const RunResult info = in("info --json " + quote(img_));
    ASSERT_EQ(info.status, 0);
    const auto ij = nlohmann::json::parse(info.out);
    EXPECT_EQ(ij.at("image_bytes"), st.st_size);
    EXPECT_EQ(ij.at("counts").at("files"), 2);

    EXPECT_EQ(in("cat " + quote(img_) + " /hello").out, "hi\n");
    EXPECT_EQ(in("ls " + quote(img_)).out, "hello\nlink\nsub\n");
    const RunResult l = in("ls -l " + quote(img_) + " /");
    EXPECT_NE(l.out.find("link -> hello"), std::string::npos) << l.out;
    const RunResult s = in("stat --json " + quote(img_) + " /sub/big");
    ASSERT_EQ(s.status, 0);
    EXPECT_EQ(nlohmann::json::parse(s.out).at("size"), 70000);

    const RunResult missing = in("cat " + quote(img_) + " /nope");
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(lines(missing.err), 1u);
}

TEST_F(Cli, FromImageIsByteIdentical) {
    ASSERT_EQ(mk("-q -d " + quote(tree_ / "src") + " -o " + quote(img_)).status, 0);
    const std::string again = tree_ / "again";
    ASSERT_EQ(mk("-q --from " + quote(img_) + " -o " + quote(again)).status, 0);
    EXPECT_EQ(run("cmp " + quote(img_) + " " + quote(again)).status, 0);
    const RunResult same = mk("-q --from " + quote(img_) + " -o " + quote(img_));
    EXPECT_EQ(same.status, 1) << same.err;
}

TEST_F(Cli, OutputInsideTheTreeIsLeftOut) {
    const std::string inside = tree_ / "src/self.daxfs";
    ASSERT_EQ(mk("-q -d " + quote(tree_ / "src") + " -o " + quote(inside)).status, 0);
    const RunResult again = mk("-q -d " + quote(tree_ / "src") + " -o " + quote(inside));
    ASSERT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(in("ls " + quote(inside)).out, "hello\nlink\nsub\n");
}

TEST_F(Cli, FsckExitCodes) {
    ASSERT_EQ(mk("-q -d " + quote(tree_ / "src") + " -o " + quote(img_)).status, 0);
    EXPECT_EQ(run(quote(fsck) + " -n " + quote(img_)).status, 0);
    EXPECT_EQ(run(quote(fsck) + " -fy " + quote(img_)).status, 0);
    EXPECT_EQ(run(quote(fsck) + " " + quote(tree_ / "missing")).status, 8);
    EXPECT_EQ(run(quote(fsck)).status, 16);
    // Flip a byte inside the checksummed superblock.
    std::fstream f(img_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
    f.close();
    const RunResult bad = run(quote(fsck) + " -n " + quote(img_));
    EXPECT_EQ(bad.status, 4);
    EXPECT_NE(bad.out.find("checksum"), std::string::npos) << bad.out;
    const RunResult check = in("check --json " + quote(img_));
    EXPECT_EQ(check.status, 1);
    EXPECT_EQ(nlohmann::json::parse(check.out).at("error"), "EUCLEAN");
}

TEST_F(Cli, ExtractRoundTrip) {
    ASSERT_EQ(mk("-q -d " + quote(tree_ / "src") + " -o " + quote(img_)).status, 0);
    const RunResult r = in("extract " + quote(img_) + " " + quote(tree_ / "out"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(
        run("diff -r --no-dereference " + quote(tree_ / "src") + " " + quote(tree_ / "out")).status,
        0);
}

TEST_F(Cli, ExtractWithoutRootSkipsDevicesOnly) {
    if (!is_root())
        GTEST_SKIP() << "making the device node of the source tree needs root";
    ASSERT_EQ(::mknod((tree_ / "src/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(mk("-q -d " + quote(tree_ / "src") + " -o " + quote(img_)).status, 0);
    ASSERT_EQ(::chmod(tree_.path().c_str(), 0777), 0);
    const RunResult r = run("setpriv --reuid=65534 --regid=65534 --clear-groups " + quote(inspect) +
                            " extract " + quote(img_) + " " + quote(tree_ / "out"));
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daxfs-inspect: '" + (tree_ / "out/null") +
                         "': device node not created (needs root)\n");
    struct stat st;
    EXPECT_EQ(::lstat((tree_ / "out/sub/big").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 70000);
    EXPECT_EQ(::lstat((tree_ / "out/null").c_str(), &st), -1);
}

TEST_F(Cli, UnreadableFileIsNamed) {
    write_file(tree_ / "src/secret", pattern(10, 1), 0);
    ASSERT_EQ(::chmod(tree_.path().c_str(), 0755), 0);
    // As root, drop to an unprivileged user so the permission check is real.
    const std::string as_user =
        is_root() ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
    const RunResult r =
        run(as_user + quote(mkdaxfs) + " -d " + quote(tree_ / "src") + " -o /dev/null");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "mkdaxfs: cannot read '" + (tree_ / "src/secret") + "': Permission denied\n");
}

TEST_F(Cli, RegionTooSmallWritesNothing) {
    // The size check comes before /dev/mem is touched, so this runs anywhere.
    const RunResult r = mk("-d " + quote(tree_ / "src") + " -p 0x40000000 -s 8K");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(lines(r.err), 1u);
    EXPECT_NE(r.err.find("image needs"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the region holds 8192 bytes"), std::string::npos) << r.err;
}

} // namespace
