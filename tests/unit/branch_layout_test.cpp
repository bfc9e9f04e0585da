// SPDX-License-Identifier: GPL-2.0 OR MIT
// Images with branches (mkdaxfs -b): the layout of the branch table, live words, owner
// table and delta region, and that the base part means the same as without branches.
#include <cstring>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/validate.hpp"
#include "daxfs_check.h"
#include "helpers.hpp"
#include "rich_tree.hpp"

using namespace testing_daxfs;

namespace {

constexpr std::uint64_t kDelta = 1u << 20;

template <typename T> T at(const std::vector<std::byte> &img, std::uint64_t off) {
    T v;
    std::memcpy(&v, img.data() + off, sizeof(v));
    return v;
}

class BranchLayout : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        make_rich_tree(dir_->path(), 50);
        plain_ = new std::vector<std::byte>(build_image(dir_->path()));
        branched_ = new std::vector<std::byte>(build_branch_image(dir_->path(), kDelta));
    }
    static void TearDownTestSuite() {
        delete branched_;
        delete plain_;
        delete dir_;
    }
    static TempDir *dir_;
    static std::vector<std::byte> *plain_, *branched_;
};

TempDir *BranchLayout::dir_;
std::vector<std::byte> *BranchLayout::plain_, *BranchLayout::branched_;

TEST_F(BranchLayout, SuperblockGeometry) {
    const auto sb = at<daxfs_super>(*branched_, 0);
    const auto plain = at<daxfs_super>(*plain_, 0);
    EXPECT_EQ(le32toh(sb.feature_incompat),
              DAXFS_FEATURE_INCOMPAT_BRANCHES | DAXFS_FEATURE_INCOMPAT_FOLD);
    EXPECT_EQ(le64toh(sb.branch_off), 4096u);
    EXPECT_EQ(le64toh(sb.branch_count), DAXFS_BRANCH_COUNT);
    EXPECT_EQ(le64toh(sb.inode_off), 4096u + DAXFS_BRANCH_COUNT * sizeof(daxfs_branch));
    EXPECT_EQ(le64toh(sb.inode_count), le64toh(plain.inode_count));
    EXPECT_EQ(le64toh(sb.data_size), le64toh(plain.data_size));
    const std::uint64_t delta_off = le64toh(sb.delta_off);
    EXPECT_EQ(delta_off % DAXFS_BLOCK_SIZE, 0u);
    EXPECT_EQ(delta_off, le64toh(sb.data_off) + le64toh(sb.data_size));
    EXPECT_EQ(le64toh(sb.delta_size), kDelta);
    EXPECT_EQ(le64toh(sb.image_size), delta_off + kDelta);
    EXPECT_EQ(branched_->size(), delta_off + kDelta);
    EXPECT_EQ(le32toh(sb.checksum), daxfs_super_csum(&sb));
    // Without -b nothing of this is there.
    EXPECT_EQ(plain.feature_incompat, 0u);
    EXPECT_EQ(plain.branch_off, 0u);
    EXPECT_EQ(plain.delta_off, 0u);
    EXPECT_EQ(plain.delta_size, 0u);
}

TEST_F(BranchLayout, BranchTableHasMainOnly) {
    const auto main = at<daxfs_branch>(*branched_, 4096);
    EXPECT_EQ(le32toh(main.state), DAXFS_BRANCH_MAIN);
    EXPECT_EQ(le32toh(main.parent), 0u);
    EXPECT_EQ(le64toh(main.generation), 0u);
    EXPECT_STREQ(main.name, "main");
    const auto *first = branched_->data() + 4096 + sizeof(daxfs_branch);
    const std::size_t rest = (DAXFS_BRANCH_COUNT - 1) * sizeof(daxfs_branch);
    EXPECT_TRUE(std::all_of(first, first + rest, [](std::byte b) { return b == std::byte{0}; }));
}

TEST_F(BranchLayout, LiveWordsAndOwnerTable) {
    const auto sb = at<daxfs_super>(*branched_, 0);
    const auto live = at<daxfs_live>(*branched_, DAXFS_SUPER_FIXED_SIZE);
    const std::uint64_t pages = kDelta / DAXFS_BLOCK_SIZE;
    const std::uint64_t meta = daxfs::meta_pages(pages);
    EXPECT_EQ(meta, 1u); // 256 pages * 4 bytes
    EXPECT_EQ(le64toh(live.main_head), 0u);
    EXPECT_EQ(le64toh(live.commit_seq), 0u);
    EXPECT_EQ(le64toh(live.next_ino), le64toh(sb.inode_count) + 1);
    EXPECT_EQ(le64toh(live.table_lock), 0u);
    EXPECT_EQ(le64toh(live.alloc_hint), meta);
    EXPECT_EQ(le64toh(live.free_pages), pages - meta);
    const std::uint64_t owners = le64toh(sb.delta_off);
    EXPECT_EQ(le32toh(at<__le32>(*branched_, owners)), DAXFS_OWNER_META);
    for (std::uint64_t p = meta; p < pages; p++)
        ASSERT_EQ(at<__le32>(*branched_, owners + 4 * p), DAXFS_OWNER_FREE) << p;
}

TEST(BranchLayoutMeta, OwnerTablePages) {
    EXPECT_EQ(daxfs::meta_pages(1024), 1u);
    EXPECT_EQ(daxfs::meta_pages(1025), 2u);
    EXPECT_EQ(daxfs::meta_pages((64u << 20) / 4096), 16u);
}

TEST_F(BranchLayout, BaseMeansTheSame) {
    const daxfs::Image image(*branched_);
    expect_same_tree(image, dir_->path());
    EXPECT_TRUE(daxfs::validate_image(*branched_).ok) << daxfs::validate_image(*branched_).message;
}

TEST(BranchLayoutSize, RoundsDownAndRefusesTiny) {
    daxfs::Tree tree;
    tree.nodes.push_back({});
    tree.nodes[0].mode = S_IFDIR | 0755;
    daxfs::Layout l = daxfs::plan_layout(tree, true);
    daxfs::set_delta_size(l, daxfs::kMinDeltaSize + 100);
    EXPECT_EQ(l.delta_size, daxfs::kMinDeltaSize);
    EXPECT_EQ(l.image_size, l.delta_off + l.delta_size);
    EXPECT_THROW(daxfs::set_delta_size(l, daxfs::kMinDeltaSize - 4096), daxfs::Error);
    daxfs::Layout plain = daxfs::plan_layout(tree);
    EXPECT_THROW(daxfs::set_delta_size(plain, 1u << 20), daxfs::Error);
}

class BranchCli : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        write_file(dir_ / "src/f", pattern(5000, 1));
    }
    RunResult mk(const std::string &args) { return run(quote(DAXFS_MKDAXFS) + " " + args); }
    TempDir dir_;
};

TEST_F(BranchCli, DefaultDeltaForAFileIs64M) {
    const RunResult r = mk("--json -b -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "img"));
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["delta_bytes"], 64u << 20);
    const RunResult c = run(quote(DAXFS_INSPECT) + " check " + quote(dir_ / "img"));
    EXPECT_EQ(c.status, 0) << c.out << c.err;
}

TEST_F(BranchCli, SizedDeltaAndJson) {
    const RunResult r =
        mk("--json --branching=1M -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "img"));
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["delta_bytes"], 1u << 20);
    EXPECT_EQ(j["image_bytes"].get<std::uint64_t>() % 4096, 0u);
    const RunResult s = mk("--json -b 2M -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "i2"));
    ASSERT_EQ(s.status, 0) << s.err;
    EXPECT_EQ(nlohmann::json::parse(s.out)["delta_bytes"], 2u << 20);
}

TEST_F(BranchCli, WithoutBranchingNoDeltaBytes) {
    const RunResult r = mk("--json -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "img"));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(nlohmann::json::parse(r.out).contains("delta_bytes"));
}

TEST_F(BranchCli, TooSmallOrBadSize) {
    const RunResult small = mk("-b 8k -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "img"));
    EXPECT_EQ(small.status, 1);
    EXPECT_NE(small.err.find("too small"), std::string::npos) << small.err;
    const RunResult bad = mk("-b 12Q -d " + quote(dir_ / "src") + " -o " + quote(dir_ / "img"));
    EXPECT_EQ(bad.status, 2) << bad.err;
}

TEST_F(BranchCli, SameTreeSameBytesAndFromDropsBranches) {
    const std::string src = quote(dir_ / "src");
    ASSERT_EQ(mk("-q -b 1M -d " + src + " -o " + quote(dir_ / "b1")).status, 0);
    ASSERT_EQ(mk("-q -b 1M -d " + src + " -o " + quote(dir_ / "b2")).status, 0);
    EXPECT_EQ(run("cmp " + quote(dir_ / "b1") + " " + quote(dir_ / "b2")).status, 0);
    // main of an image without commits, flattened, is the image made without -b
    ASSERT_EQ(mk("-q -d " + src + " -o " + quote(dir_ / "plain")).status, 0);
    ASSERT_EQ(mk("-q --from " + quote(dir_ / "b1") + " -o " + quote(dir_ / "flat")).status, 0);
    EXPECT_EQ(run("cmp " + quote(dir_ / "plain") + " " + quote(dir_ / "flat")).status, 0);
}

TEST_F(BranchCli, HelpTellsTheDefault) {
    const RunResult r = mk("--help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("64M for a file"), std::string::npos) << r.out;
}

} // namespace
