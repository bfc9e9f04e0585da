// SPDX-License-Identifier: GPL-2.0 OR MIT
// The same tree gives the same bytes; different content gives a different uuid.
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daxfs/error.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/scan.hpp"
#include "helpers.hpp"
#include "rich_tree.hpp"

using namespace testing_daxfs;

namespace {

daxfs::ScanOptions clamp_at(std::optional<std::int64_t> t) {
    daxfs::ScanOptions o;
    o.clamp_time = t;
    return o;
}

TEST(Determinism, TwoBuildsAreIdentical) {
    TempDir dir;
    make_rich_tree(dir.path(), 300);
    EXPECT_EQ(build_image(dir.path()), build_image(dir.path()));
}

TEST(Determinism, CreationOrderDoesNotMatter) {
    TempDir a, b;
    const char *names[] = {"zeta", "alpha", "mid", "alph", "Z", "\xff"};
    for (const char *n : names)
        write_file(a / n, pattern(100, 1));
    for (auto it = std::rbegin(names); it != std::rend(names); ++it)
        write_file(b / *it, pattern(100, 1));
    for (const char *n : names) {
        set_mtime(a / n, 1000, 1);
        set_mtime(b / n, 1000, 1);
    }
    set_mtime(a.path(), 5, 0);
    set_mtime(b.path(), 5, 0);
    auto scan = [](const std::string &d) {
        daxfs::Tree t = daxfs::scan_tree(d, clamp_at(0)); // clamp ctimes
        return build_image(std::move(t));
    };
    EXPECT_EQ(scan(a.path()), scan(b.path()));
}

TEST(Determinism, RebuildFromImageGivesSameBytes) {
    TempDir dir;
    make_rich_tree(dir.path(), 100);
    const auto bytes = build_image(dir.path());
    const daxfs::Image img(bytes);
    const auto again = build_image(daxfs::tree_from_image(img));
    EXPECT_EQ(again, bytes);
}

TEST(Determinism, UuidFollowsContent) {
    TempDir dir;
    write_file(dir / "f", pattern(5000, 1));
    set_mtime(dir / "f", 1, 0);
    const auto before = build_image(daxfs::scan_tree(dir.path(), clamp_at(100)));
    auto changed = pattern(5000, 1);
    changed[4000] ^= std::byte{1};
    write_file(dir / "f", changed);
    set_mtime(dir / "f", 1, 0);
    const auto after = build_image(daxfs::scan_tree(dir.path(), clamp_at(100)));
    const daxfs::Image a(before), b(after);
    EXPECT_NE(std::memcmp(a.geo().uuid, b.geo().uuid, 16), 0);
    EXPECT_EQ(a.geo().uuid[6] >> 4, 8); // version 8: derived, not random
}

TEST(Determinism, SourceDateEpochClampsTimes) {
    TempDir dir;
    write_file(dir / "new", pattern(10, 1));
    write_file(dir / "old", pattern(10, 2));
    set_mtime(dir / "old", 1000, 77);
    ::setenv("SOURCE_DATE_EPOCH", "2000", 1);
    const auto clamp = daxfs::source_date_epoch();
    ::unsetenv("SOURCE_DATE_EPOCH");
    ASSERT_EQ(clamp, std::optional<std::int64_t>(2000));
    const auto bytes = build_image(daxfs::scan_tree(dir.path(), clamp_at(clamp)));
    const daxfs::Image img(bytes);
    const daxfs_ino n = img.lookup("/new"), o = img.lookup("/old");
    EXPECT_EQ(n.mtime, 2000);
    EXPECT_EQ(n.mtime_nsec, 0u);
    EXPECT_EQ(n.ctime, 2000);
    EXPECT_EQ(o.mtime, 1000);
    EXPECT_EQ(o.mtime_nsec, 77u);
}

TEST(Determinism, BadSourceDateEpochIsAnError) {
    ::setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    EXPECT_THROW(daxfs::source_date_epoch(), daxfs::Error);
    ::unsetenv("SOURCE_DATE_EPOCH");
}

} // namespace
