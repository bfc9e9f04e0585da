// SPDX-License-Identifier: GPL-2.0 OR MIT
// Writer -> reader round trips: everything put in an image reads back the same.
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daxfs/extract.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/scan.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/summary.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"
#include "helpers.hpp"
#include "rich_tree.hpp"

using namespace testing_daxfs;

namespace {

class RichTree : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        make_rich_tree(dir_->path());
        bytes_ = new std::vector<std::byte>(build_image(dir_->path()));
    }
    static void TearDownTestSuite() {
        delete bytes_;
        delete dir_;
    }
    static daxfs::Image image() { return daxfs::Image(*bytes_); }

    static TempDir *dir_;
    static std::vector<std::byte> *bytes_;
};

TempDir *RichTree::dir_;
std::vector<std::byte> *RichTree::bytes_;

TEST_F(RichTree, ValidatorAccepts) {
    const daxfs::Validation v = daxfs::validate_image(*bytes_);
    EXPECT_TRUE(v.ok) << v.message;
}

TEST_F(RichTree, EveryAttributeAndByteReadsBack) { expect_same_tree(image(), dir_->path()); }

TEST_F(RichTree, InodesNumberedBreadthFirstFromRoot) {
    const daxfs::Image img = image();
    const daxfs_ino root = img.root();
    EXPECT_EQ(root.ino, DAXFS_ROOT_INO);
    EXPECT_EQ(root.parent, DAXFS_ROOT_INO);
    // The root's entries are met first, in name order, each new inode taking the next number.
    std::uint64_t next = DAXFS_ROOT_INO + 1;
    for (std::uint64_t i = 0; i < img.entry_count(root); i++) {
        const auto de = img.entry(root, i);
        ASSERT_EQ(de.ino, next++) << de.name;
    }
}

TEST_F(RichTree, HardLinksShareOneInode) {
    const daxfs::Image img = image();
    const daxfs_ino a = img.lookup("/links/target");
    EXPECT_EQ(img.lookup("/hard1").ino, a.ino);
    EXPECT_EQ(img.lookup("/d0/hard2").ino, a.ino);
    EXPECT_EQ(a.nlink, 3u);
}

TEST_F(RichTree, IdenticalContentStoredOnce) {
    const daxfs::Image img = image();
    const daxfs_ino one = img.lookup("/dup/one"), two = img.lookup("/dup/two");
    const daxfs_ino other = img.lookup("/dup/other");
    EXPECT_NE(one.ino, two.ino);
    EXPECT_EQ(one.data, two.data);
    EXPECT_NE(one.data, other.data);
    EXPECT_NE(one.mode, two.mode); // separate inodes keep their own attributes
}

TEST_F(RichTree, DirectoriesCountSubdirectories) {
    const daxfs::Image img = image();
    const daxfs_ino d38 = img.lookup("/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/"
                                     "d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/"
                                     "d32/d33/d34/d35/d36/d37/d38");
    EXPECT_EQ(d38.nlink, 3u);
    EXPECT_EQ(img.lookup("/modes/empty-dir").nlink, 2u);
    EXPECT_EQ(img.lookup("/modes/empty-dir").size, 0u);
}

TEST_F(RichTree, LookupErrors) {
    const daxfs::Image img = image();
    try {
        img.lookup("/size-0/x");
        FAIL() << "lookup through a file";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), ENOTDIR);
    }
    try {
        img.lookup("/no/such");
        FAIL() << "lookup of a missing name";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), ENOENT);
    }
    EXPECT_EQ(img.lookup("/links/..").ino, DAXFS_ROOT_INO);
}

TEST_F(RichTree, ImageCountsMatchTheLayout) {
    const daxfs::Counts want = daxfs::plan_layout(daxfs::scan_tree(dir_->path())).counts;
    const daxfs::Counts got = daxfs::count_image(image());
    EXPECT_EQ(got.inodes, want.inodes);
    EXPECT_EQ(got.files, want.files);
    EXPECT_EQ(got.dirs, want.dirs);
    EXPECT_EQ(got.symlinks, want.symlinks);
    EXPECT_EQ(got.specials, want.specials);
    EXPECT_EQ(got.hardlinks, 2u); // links/target has three names
    EXPECT_EQ(got.hardlinks, want.hardlinks);
    EXPECT_EQ(got.data_bytes, want.data_bytes);
}

TEST_F(RichTree, ExtractRecreatesTheTree) {
    TempDir out;
    const daxfs::Image img = image();
    daxfs::extract_image(img, out / "x");
    expect_same_tree(img, out / "x", false);
}

TEST_F(RichTree, RebuiltFromImageIsIdentical) {
    const daxfs::Image img = image();
    EXPECT_EQ(build_image(daxfs::tree_from_image(img)), *bytes_);
}

TEST(RoundTrip, EmptyRoot) {
    TempDir dir;
    const auto bytes = build_image(dir.path());
    EXPECT_TRUE(daxfs::validate_image(bytes).ok);
    const daxfs::Image img(bytes);
    EXPECT_EQ(img.geo().inode_count, 1u);
    EXPECT_EQ(img.entry_count(img.root()), 0u);
    expect_same_tree(img, dir.path());
}

TEST(RoundTrip, FilesLargerThanTheWriterBuffer) {
    // The writer gathers file data in chunks of a few MiB: files spanning chunk borders,
    // before and after, must land whole and in place.
    TempDir dir;
    write_file(dir / "a", pattern(3, 1));
    write_file(dir / "b", pattern((9u << 20) + 5, 2));
    write_file(dir / "c", pattern((7u << 20) + 4096, 3));
    write_file(dir / "d", pattern(4097, 4));
    daxfs::Tree tree = daxfs::scan_tree(dir.path());
    const daxfs::Layout layout = daxfs::plan_layout(tree);
    std::uint64_t last = 0, calls = 0;
    daxfs::VectorSink sink;
    daxfs::write_image(tree, layout, sink, [&](std::uint64_t done, std::uint64_t total) {
        EXPECT_GT(done, last);
        EXPECT_EQ(total, layout.image_size);
        last = done;
        calls++;
    });
    EXPECT_EQ(last, layout.image_size);
    EXPECT_GT(calls, 2u);
    ASSERT_TRUE(daxfs::validate_image(sink.bytes).ok);
    expect_same_tree(daxfs::Image(sink.bytes), dir.path());
}

TEST(RoundTrip, ManyEntriesFindable) {
    TempDir dir;
    const int n = 20000;
    for (int i = 0; i < n; i++)
        write_file(dir / ("f" + std::to_string(i)), {});
    const auto bytes = build_image(dir.path());
    ASSERT_TRUE(daxfs::validate_image(bytes).ok);
    const daxfs::Image img(bytes);
    ASSERT_EQ(img.entry_count(img.root()), static_cast<std::uint64_t>(n));
    for (int i = 0; i < n; i += 997)
        EXPECT_TRUE(img.find(img.root(), "f" + std::to_string(i)).has_value());
    EXPECT_FALSE(img.find(img.root(), "f").has_value());
}

TEST(RoundTrip, SeedCorpusImagesAreValid) {
    // The fuzzer's seeds must stay images the format accepts, or fuzzing starts nowhere.
    int seen = 0;
    for (const auto &e : std::filesystem::directory_iterator(DAXFS_CORPUS)) {
        const daxfs::Image img = daxfs::Image::open_file(e.path().string());
        const daxfs::Validation v = daxfs::validate_image(img.region());
        EXPECT_TRUE(v.ok) << e.path() << ": " << v.message;
        seen++;
    }
    EXPECT_GE(seen, 3);
}

} // namespace
