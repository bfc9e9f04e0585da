// SPDX-License-Identifier: GPL-2.0 OR MIT
// Where mkdaxfs puts file contents: files of DAXFS_HUGE_SIZE bytes or more start on a
// DAXFS_HUGE_SIZE boundary, smaller ones stay packed and fill the gaps that leaves.
#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "daxfs/dedup.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/scan.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"
#include "helpers.hpp"
#include "rich_tree.hpp"

using namespace testing_daxfs;

namespace {

constexpr std::uint64_t MiB = 1u << 20;

std::uint64_t blocks(std::uint64_t size) {
    return (size + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE * DAXFS_BLOCK_SIZE;
}

struct Built {
    daxfs::Tree tree;
    daxfs::Layout layout;
    std::vector<std::byte> bytes;
};

Built build(const std::string &dir, daxfs::Placement placement, bool branching = false) {
    Built b;
    b.tree = daxfs::scan_tree(dir);
    daxfs::find_duplicates(b.tree);
    b.layout = daxfs::plan_layout(b.tree, branching, placement);
    if (branching)
        daxfs::set_delta_size(b.layout, 1 * MiB);
    daxfs::VectorSink sink;
    daxfs::write_image(b.tree, b.layout, sink);
    b.bytes = std::move(sink.bytes);
    return b;
}

// One stored content: where it is and how many bytes (block rounded) it takes.
struct Extent {
    std::uint64_t off, len, size;
    bool operator<(const Extent &o) const { return off < o.off; }
};

// The stored contents of @image's regular files, by offset, each once.
std::vector<Extent> extents(const daxfs::Image &image) {
    std::vector<Extent> v;
    for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++) {
        const daxfs_ino in = image.inode(ino);
        if (S_ISREG(in.mode) && in.size)
            v.push_back({in.data, blocks(in.size), in.size});
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end(),
                        [](const Extent &a, const Extent &b) { return a.off == b.off; }),
            v.end());
    return v;
}

// A tree with the three huge sizes of the issue among small files, in an order that makes
// the writer leave gaps (inode order is breadth-first, by name).
class HugePlacement : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        const TempDir &d = *dir_;
        write_file(d / "a-small", pattern(3000, 1));
        write_file(d / "b-huge-2m", pattern(2 * MiB, 2));
        write_file(d / "c-small", pattern(5000, 3));
        write_file(d / "d-huge-2m+1", pattern(2 * MiB + 1, 4));
        write_file(d / "e-small", pattern(1, 5));
        write_file(d / "f-huge-5m", pattern(5 * MiB, 6));
        write_file(d / "g-same-as-f", pattern(5 * MiB, 6));
        write_file(d / "h-under-2m", pattern(2 * MiB - 1, 7));
        make_dir(d / "many");
        for (int i = 0; i < 300; i++)
            write_file(d / ("many/f" + std::to_string(i)),
                       pattern(1 + static_cast<std::uint64_t>(i) * 997 % 30000,
                               static_cast<std::uint32_t>(100 + i)));
        aligned_ = new Built(build(d.path(), daxfs::Placement::huge_aligned));
        packed_ = new Built(build(d.path(), daxfs::Placement::packed));
    }
    static void TearDownTestSuite() {
        delete packed_;
        delete aligned_;
        delete dir_;
    }

    static TempDir *dir_;
    static Built *aligned_, *packed_;
};

TempDir *HugePlacement::dir_;
Built *HugePlacement::aligned_, *HugePlacement::packed_;

TEST_F(HugePlacement, ImageValidatesAndReadsBack) {
    const daxfs::Validation v = daxfs::validate_image(aligned_->bytes);
    ASSERT_TRUE(v.ok) << v.message;
    expect_same_tree(daxfs::Image(aligned_->bytes), dir_->path());
}

TEST_F(HugePlacement, EveryHugeFileStartsOn2MiB) {
    const daxfs::Image image(aligned_->bytes);
    std::uint64_t huge = 0;
    for (const char *name : {"/b-huge-2m", "/d-huge-2m+1", "/f-huge-5m", "/g-same-as-f"}) {
        const daxfs_ino in = image.lookup(name);
        ASSERT_GE(in.size, DAXFS_HUGE_SIZE) << name;
        EXPECT_EQ(in.data % DAXFS_HUGE_SIZE, 0u) << name << " at " << in.data;
    }
    for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++) {
        const daxfs_ino in = image.inode(ino);
        if (S_ISREG(in.mode) && in.size >= DAXFS_HUGE_SIZE) {
            huge++;
            EXPECT_EQ(in.data % DAXFS_HUGE_SIZE, 0u) << "inode " << ino;
        }
    }
    EXPECT_EQ(huge, 4u);
    // Identical contents are still stored once: g shares f's aligned copy.
    EXPECT_EQ(image.lookup("/g-same-as-f").data, image.lookup("/f-huge-5m").data);
    EXPECT_EQ(aligned_->layout.huge_files, 3u);
}

TEST_F(HugePlacement, SmallFilesStayPacked) {
    const daxfs::Image image(aligned_->bytes);
    const std::vector<Extent> v = extents(image);
    const daxfs::Layout &l = aligned_->layout;
    // From files_off to the end of the data area, contents follow one another; the only
    // holes are right before a huge content, and they add up to what the layout reports.
    std::uint64_t at = l.files_off, holes = 0, last_huge_end = 0;
    for (const Extent &e : v) {
        ASSERT_GE(e.off, at) << "contents overlap at " << e.off;
        if (e.off > at) {
            EXPECT_GE(e.size, DAXFS_HUGE_SIZE) << "hole before a small file at " << e.off;
            holes += e.off - at;
        }
        at = e.off + e.len;
        if (e.size >= DAXFS_HUGE_SIZE)
            last_huge_end = at;
    }
    EXPECT_EQ(at, l.base_size);
    EXPECT_EQ(holes, l.huge_pad);
    // A small file went past the huge ones only when no hole left could hold it.
    std::uint64_t smallest_after = UINT64_MAX;
    for (const Extent &e : v)
        if (e.off >= last_huge_end)
            smallest_after = std::min(smallest_after, e.len);
    at = l.files_off;
    for (const Extent &e : v) {
        if (e.off > at) {
            EXPECT_LT(e.off - at, smallest_after) << "hole at " << at << " is left unfilled";
        }
        at = e.off + e.len;
    }
    // Small files did go into the gaps: some small content lies below a huge one.
    EXPECT_LT(v.front().size, DAXFS_HUGE_SIZE);
    EXPECT_LT(image.lookup("/a-small").data, image.lookup("/b-huge-2m").data);
}

TEST_F(HugePlacement, CostIsExactlyTheHolesLeft) {
    const daxfs::Layout &a = aligned_->layout, &p = packed_->layout;
    EXPECT_EQ(a.files_off, p.files_off);
    EXPECT_EQ(p.huge_pad, 0u);
    EXPECT_EQ(p.huge_files, a.huge_files);
    EXPECT_EQ(a.image_size, p.image_size + a.huge_pad);
    EXPECT_EQ(aligned_->bytes.size(), a.image_size);
}

TEST_F(HugePlacement, PackedKeepsInodeOrderAndReadsBack) {
    const daxfs::Validation v = daxfs::validate_image(packed_->bytes);
    ASSERT_TRUE(v.ok) << v.message;
    expect_same_tree(daxfs::Image(packed_->bytes), dir_->path());
    const daxfs::Image image(packed_->bytes);
    std::uint64_t at = packed_->layout.files_off;
    for (const Extent &e : extents(image)) {
        EXPECT_EQ(e.off, at);
        at = e.off + e.len;
    }
    EXPECT_LT(image.lookup("/b-huge-2m").data, image.lookup("/d-huge-2m+1").data);
    EXPECT_LT(image.lookup("/d-huge-2m+1").data, image.lookup("/f-huge-5m").data);
}

TEST_F(HugePlacement, SameTreeSameBytes) {
    EXPECT_TRUE(build(dir_->path(), daxfs::Placement::huge_aligned).bytes == aligned_->bytes);
}

TEST_F(HugePlacement, BranchImageKeepsTheAlignment) {
    const Built b = build(dir_->path(), daxfs::Placement::huge_aligned, true);
    std::uint64_t leaked = 0;
    const daxfs::Validation v = daxfs::validate_all(b.bytes, leaked);
    ASSERT_TRUE(v.ok) << v.message;
    const daxfs::Image image(b.bytes);
    for (const char *name : {"/b-huge-2m", "/d-huge-2m+1", "/f-huge-5m"})
        EXPECT_EQ(image.lookup(name).data % DAXFS_HUGE_SIZE, 0u) << name;
    EXPECT_EQ(b.layout.delta_off % DAXFS_BLOCK_SIZE, 0u);
}

TEST(HugePlacementFill, EnoughSmallFilesFillEveryGap) {
    // Block-sized small files can fill any gap to the byte: alignment then costs nothing.
    TempDir d;
    write_file(d / "a", pattern(2 * MiB + 1, 1));
    write_file(d / "b", pattern(3 * MiB, 2));
    make_dir(d / "s");
    for (int i = 0; i < 1200; i++)
        write_file(d / ("s/" + std::to_string(i)), pattern(100, static_cast<std::uint32_t>(i)));
    const Built a = build(d.path(), daxfs::Placement::huge_aligned);
    const Built p = build(d.path(), daxfs::Placement::packed);
    EXPECT_EQ(a.layout.huge_pad, 0u);
    EXPECT_EQ(a.layout.image_size, p.layout.image_size);
    const daxfs::Image image(a.bytes);
    EXPECT_EQ(image.lookup("/a").data % DAXFS_HUGE_SIZE, 0u);
    EXPECT_EQ(image.lookup("/b").data % DAXFS_HUGE_SIZE, 0u);
    ASSERT_TRUE(daxfs::validate_image(a.bytes).ok);
    expect_same_tree(image, d.path());
}

TEST(HugePlacementFill, OnlyHugeFilesPadToTheNextBoundary) {
    TempDir d;
    write_file(d / "a", pattern(2 * MiB + 1, 1));
    write_file(d / "b", pattern(2 * MiB, 2));
    const Built a = build(d.path(), daxfs::Placement::huge_aligned);
    const daxfs::Image image(a.bytes);
    EXPECT_EQ(image.lookup("/a").data, DAXFS_HUGE_SIZE);
    EXPECT_EQ(image.lookup("/b").data, 3 * DAXFS_HUGE_SIZE);
    // Nothing small to fill them: from the metadata to 2 MiB, and after a's last block.
    EXPECT_EQ(a.layout.huge_pad,
              (DAXFS_HUGE_SIZE - a.layout.files_off) + (DAXFS_HUGE_SIZE - DAXFS_BLOCK_SIZE));
    EXPECT_EQ(a.layout.image_size, 4 * DAXFS_HUGE_SIZE);
    ASSERT_TRUE(daxfs::validate_image(a.bytes).ok);
    expect_same_tree(image, d.path());
}

TEST(HugePlacementFill, GapsAreZeroedInMemoryThatHeldOtherBytes) {
    TempDir d;
    write_file(d / "a", pattern(100, 1));
    write_file(d / "b", pattern(3 * MiB + 1, 2));
    const Built b = build(d.path(), daxfs::Placement::huge_aligned);
    ASSERT_GT(b.layout.huge_pad, 0u);
    std::vector<std::byte> region(b.layout.image_size, std::byte{0xaa});
    daxfs::MemorySink sink(region);
    daxfs::write_image(b.tree, b.layout, sink);
    EXPECT_TRUE(region == b.bytes);
    EXPECT_TRUE(daxfs::validate_image(region).ok);
}

TEST(HugePlacementFill, WithoutHugeFilesBothPlacementsGiveTheSameBytes) {
    TempDir d;
    make_rich_tree(d.path(), 50);
    const Built a = build(d.path(), daxfs::Placement::huge_aligned);
    const Built p = build(d.path(), daxfs::Placement::packed);
    EXPECT_EQ(a.layout.huge_files, 0u);
    EXPECT_TRUE(a.bytes == p.bytes);
}

// The command line: mkdaxfs reports the cost, --no-huge-align turns placement off, and
// daxfs-inspect shows every file's data offset and a count of aligned huge files.
class HugePlacementCli : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(d_ / "src");
        write_file(d_ / "src/small", pattern(10, 1));
        write_file(d_ / "src/huge", pattern(3 * MiB + 5, 2));
    }
    static RunResult mk(const std::string &args) { return run(quote(DAXFS_MKDAXFS) + " " + args); }
    static nlohmann::json in_json(const std::string &args) {
        const RunResult r = run(quote(DAXFS_INSPECT) + " " + args);
        EXPECT_EQ(r.status, 0) << args << ": " << r.err;
        return nlohmann::json::parse(r.out);
    }
    TempDir d_;
};

TEST_F(HugePlacementCli, JsonReportsAndInspectShowsOffsets) {
    const std::string img = d_ / "a.img", flat = d_ / "p.img";
    const RunResult a = mk("-d " + quote(d_ / "src") + " -o " + quote(img) + " --json");
    ASSERT_EQ(a.status, 0) << a.err;
    const auto aj = nlohmann::json::parse(a.out);
    EXPECT_EQ(aj.at("huge_files"), 1);
    const std::uint64_t pad = aj.at("huge_pad_bytes");
    EXPECT_GT(pad, 0u); // one small file cannot fill the gap before the huge one

    const RunResult p =
        mk("-d " + quote(d_ / "src") + " -o " + quote(flat) + " --json --no-huge-align");
    ASSERT_EQ(p.status, 0) << p.err;
    const auto pj = nlohmann::json::parse(p.out);
    EXPECT_EQ(pj.at("huge_pad_bytes"), 0);
    EXPECT_EQ(aj.at("image_bytes").get<std::uint64_t>(),
              pj.at("image_bytes").get<std::uint64_t>() + pad);

    const auto s = in_json("stat --json " + quote(img) + " /huge");
    EXPECT_EQ(s.at("data").get<std::uint64_t>() % DAXFS_HUGE_SIZE, 0u);
    const auto info = in_json("info --json " + quote(img));
    EXPECT_EQ(info.at("huge_files").at("count"), 1);
    EXPECT_EQ(info.at("huge_files").at("aligned"), 1);
    const auto pinfo = in_json("info --json " + quote(flat));
    EXPECT_EQ(pinfo.at("huge_files").at("count"), 1);
    EXPECT_EQ(pinfo.at("huge_files").at("aligned"), 0); // right after the directory
    EXPECT_EQ(in_json("check --json " + quote(flat)).at("ok"), true);

    // --from rebuilds the packed image with the huge file aligned again.
    const std::string again = d_ / "again.img";
    const RunResult f = mk("--from " + quote(flat) + " -o " + quote(again) + " --json");
    ASSERT_EQ(f.status, 0) << f.err;
    EXPECT_EQ(in_json("info --json " + quote(again)).at("huge_files").at("aligned"), 1);
    EXPECT_EQ(in_json("check --json " + quote(again)).at("ok"), true);
}

TEST_F(HugePlacementCli, HelpNamesTheOption) {
    const RunResult r = mk("--help");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("--no-huge-align"), std::string::npos);
}

} // namespace
