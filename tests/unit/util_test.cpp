// SPDX-License-Identifier: GPL-2.0 OR MIT
// Small pieces: size parsing, device numbers, name order, layout invariants.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "daxfs/devnum.hpp"
#include "daxfs/discover.hpp"
#include "daxfs/error.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/scan.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/size.hpp"
#include "daxfs/tree.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"
#include "daxfs_check.h"
#include "helpers.hpp"

using namespace testing_daxfs;

namespace {

TEST(ParseSize, AcceptsSuffixesAndHex) {
    EXPECT_EQ(daxfs::parse_size("4096"), 4096u);
    EXPECT_EQ(daxfs::parse_size("0x40000000"), 0x40000000u);
    EXPECT_EQ(daxfs::parse_size("64k"), 64u << 10);
    EXPECT_EQ(daxfs::parse_size("256M"), 256u << 20);
    EXPECT_EQ(daxfs::parse_size("1G"), 1u << 30);
    EXPECT_EQ(daxfs::parse_size("2GiB"), 2ull << 30);
}

TEST(ParseSize, RejectsGarbage) {
    for (const char *bad : {"", "x", "12Q", "0x", "1M2", "-5", "99999999999999999999", "20000000T"})
        EXPECT_THROW(daxfs::parse_size(bad), daxfs::Error) << bad;
}

TEST(DevNum, RoundTripsLargeNumbers) {
    for (dev_t d : {makedev(0, 0), makedev(8, 1), makedev(259, 1048575), makedev(4095, 255)})
        EXPECT_EQ(daxfs::decode_dev(daxfs::encode_dev(d)), d);
    // Small numbers keep the classic 16-bit form.
    EXPECT_EQ(daxfs::encode_dev(makedev(8, 1)), 0x801u);
}

TEST(Tree, SortMatchesCheckerOrder) {
    std::vector<daxfs::Entry> e = {{"b", 0}, {"ab", 0}, {"a", 0}, {"\xff", 0}, {"B", 0}};
    daxfs::sort_entries(e);
    for (std::size_t i = 1; i < e.size(); i++)
        EXPECT_LT(daxfs_name_cmp(e[i - 1].name.data(), static_cast<u32>(e[i - 1].name.size()),
                                 e[i].name.data(), static_cast<u32>(e[i].name.size())),
                  0);
    EXPECT_EQ(e.front().name, "B");
    EXPECT_EQ(e.back().name, "\xff");
}

TEST(Layout, RegionsAlignedAndOrdered) {
    TempDir dir;
    write_file(dir / "a", pattern(1, 1));
    write_file(dir / "b", pattern(4097, 2));
    ASSERT_EQ(::symlink("abc", (dir / "s").c_str()), 0);
    make_dir(dir / "d");
    const daxfs::Tree tree = daxfs::scan_tree(dir.path());
    const daxfs::Layout l = daxfs::plan_layout(tree);
    EXPECT_EQ(l.inode_off, sizeof(daxfs_super));
    EXPECT_EQ(l.data_off % DAXFS_BLOCK_SIZE, 0u);
    EXPECT_EQ(l.files_off % DAXFS_BLOCK_SIZE, 0u);
    EXPECT_EQ(l.image_size % DAXFS_BLOCK_SIZE, 0u);
    EXPECT_EQ(l.image_size, l.files_off + 3 * DAXFS_BLOCK_SIZE);
    EXPECT_EQ(l.counts.inodes, 5u);
    EXPECT_EQ(l.counts.files, 2u);
    EXPECT_EQ(l.counts.dirs, 2u);
    EXPECT_EQ(l.counts.symlinks, 1u);
    EXPECT_EQ(l.counts.data_bytes, 4098u);
}

TEST(Scan, MissingOrNonDirectoryRoot) {
    TempDir dir;
    write_file(dir / "f", {});
    try {
        daxfs::scan_tree(dir / "missing");
        FAIL();
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read '" + (dir / "missing") + "': No such file or directory");
    }
    EXPECT_THROW(daxfs::scan_tree(dir / "f"), daxfs::Error);
}

TEST(Scan, UnreadableFileNamed) {
    if (is_root())
        GTEST_SKIP() << "root reads every file";
    TempDir dir;
    write_file(dir / "secret", pattern(10, 1), 0);
    try {
        daxfs::scan_tree(dir.path());
        FAIL();
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read '" + (dir / "secret") + "': Permission denied");
    }
}

} // namespace

namespace {

daxfs::Tree one_entry_tree(const std::string &name, std::uint32_t mode, std::string target = {}) {
    daxfs::Tree t;
    t.nodes.resize(2);
    t.nodes[0].mode = S_IFDIR | 0755;
    t.nodes[1].mode = mode;
    t.nodes[1].target = target;
    t.nodes[1].size = target.size();
    t.nodes[0].entries.push_back({name, 1});
    return t;
}

TEST(Layout, RefusesNamesTheFormatCannotHold) {
    EXPECT_NO_THROW(daxfs::plan_layout(one_entry_tree(std::string(255, 'a'), S_IFIFO | 0644)));
    for (const std::string &bad : {std::string(256, 'a'), std::string(), std::string("."),
                                   std::string(".."), std::string("a/b"), std::string("a\0b", 3)})
        EXPECT_THROW(daxfs::plan_layout(one_entry_tree(bad, S_IFIFO | 0644)), daxfs::Error) << bad;
}

TEST(Layout, RefusesSymlinkTargetsTheFormatCannotHold) {
    EXPECT_NO_THROW(
        daxfs::plan_layout(one_entry_tree("l", S_IFLNK | 0777, std::string(4095, 'x'))));
    EXPECT_THROW(daxfs::plan_layout(one_entry_tree("l", S_IFLNK | 0777, std::string(4096, 'x'))),
                 daxfs::Error);
    EXPECT_THROW(daxfs::plan_layout(one_entry_tree("l", S_IFLNK | 0777, "")), daxfs::Error);
}

TEST(Layout, RefusesADirectoryWithTwoNames) {
    daxfs::Tree t = one_entry_tree("d", S_IFDIR | 0755);
    t.nodes[0].entries.push_back({"e", 1});
    EXPECT_THROW(daxfs::plan_layout(t), daxfs::Error);
}

TEST(MemorySink, WritesIntoALargerRegionAndRefusesASmallerOne) {
    TempDir dir;
    write_file(dir / "f", pattern(9000, 5));
    const daxfs::Tree tree = daxfs::scan_tree(dir.path());
    const daxfs::Layout l = daxfs::plan_layout(tree);
    std::vector<std::byte> region(l.image_size + 5 * DAXFS_BLOCK_SIZE, std::byte{0xee});
    daxfs::MemorySink sink(region);
    daxfs::write_image(tree, l, sink);
    EXPECT_TRUE(daxfs::validate_image(region).ok);
    // Bytes past the image are not touched.
    EXPECT_EQ(region.back(), std::byte{0xee});

    std::vector<std::byte> small(l.image_size - 1);
    daxfs::MemorySink too_small(small);
    try {
        daxfs::write_image(tree, l, too_small);
        FAIL() << "wrote into a region that is too small";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), ENOSPC);
        EXPECT_EQ(
            std::string(e.what()).find("image needs " + std::to_string(l.image_size) + " bytes"),
            0u)
            << e.what();
    }
}

} // namespace

namespace {

TEST(Discover, ParsesPersistentMemoryFromIomem) {
    const std::string iomem = "00000000-00000fff : Reserved\n"
                              "00100000-3fffffff : System RAM\n"
                              "  01000000-01ffffff : Kernel code\n"
                              "40000000-4fffffff : Persistent Memory (legacy)\n"
                              "  40000000-4fffffff : namespace0.0\n"
                              "100000000-17fffffff : Persistent Memory\n";
    const auto r = daxfs::parse_iomem(iomem);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].name, "Persistent Memory (legacy)");
    EXPECT_EQ(r[0].start, 0x40000000u);
    EXPECT_EQ(r[0].size, 0x10000000u);
    EXPECT_EQ(r[1].start, 0x100000000u);
    EXPECT_EQ(r[1].size, 0x80000000u);
}

} // namespace
