// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "rich_tree.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "daxfs/devnum.hpp"
#include "helpers.hpp"

namespace testing_daxfs {

void make_rich_tree(const std::string &r, int big_dir_entries) {
    const std::uint64_t sizes[] = {0, 1, 100, 4095, 4096, 4097, 8191, 65536, (1u << 20) + 3};
    std::uint32_t seed = 1;
    for (std::uint64_t s : sizes)
        write_file(r + "/size-" + std::to_string(s), pattern(s, seed++));
    make_dir(r + "/dup");
    write_file(r + "/dup/one", pattern(10000, 99));
    write_file(r + "/dup/two", pattern(10000, 99), 0600);
    write_file(r + "/dup/other", pattern(10000, 98));
    std::string deep = r;
    for (int i = 0; i < 40; i++) {
        deep += "/d" + std::to_string(i);
        make_dir(deep);
    }
    write_file(deep + "/leaf", pattern(5, 7));
    write_file(r + "/" + std::string(255, 'n'), pattern(33, 8));
    make_dir(r + "/links");
    write_file(r + "/links/target", pattern(6000, 9));
    ASSERT_EQ(::link((r + "/links/target").c_str(), (r + "/hard1").c_str()), 0);
    ASSERT_EQ(::link((r + "/links/target").c_str(), (r + "/d0/hard2").c_str()), 0);
    ASSERT_EQ(::symlink("target", (r + "/links/rel").c_str()), 0);
    ASSERT_EQ(::symlink("/absolute/nowhere", (r + "/links/dangling").c_str()), 0);
    ASSERT_EQ(::symlink(std::string(4095, 'x').c_str(), (r + "/links/long").c_str()), 0);
    ASSERT_EQ(::mkfifo((r + "/fifo").c_str(), 0640), 0);
    make_dir(r + "/modes");
    // Only root can read a file of mode 0 to put it in an image.
    write_file(r + "/modes/none", pattern(3, 10), is_root() ? 0 : 0400);
    write_file(r + "/modes/all", pattern(3, 11), 07777);
    write_file(r + "/modes/setgid", pattern(3, 12), 02711);
    make_dir(r + "/modes/sticky", 01777);
    make_dir(r + "/modes/empty-dir");
    make_dir(r + "/big");
    for (int i = 0; i < big_dir_entries; i++)
        write_file(r + "/big/entry-" + std::to_string(i * 7919 % 100003), {});
    set_mtime(r + "/size-1", 1234567890, 123456789);
    set_mtime(r + "/size-100", -1000, 5);
    set_mtime(r + "/links/rel", 42, 999999999);
    if (is_root()) {
        ASSERT_EQ(::mknod((r + "/chr").c_str(), S_IFCHR | 0620, makedev(4, 64)), 0);
        ASSERT_EQ(::mknod((r + "/blk").c_str(), S_IFBLK | 0660, makedev(259, 1048575)), 0);
        ASSERT_EQ(::mknod((r + "/sock").c_str(), S_IFSOCK | 0755, 0), 0);
        ASSERT_EQ(::lchown((r + "/size-4096").c_str(), 1234, 5678), 0);
        ASSERT_EQ(::lchown((r + "/links/rel").c_str(), 4000000000u, 7), 0);
        ASSERT_EQ(::lchown((r + "/modes").c_str(), 65534, 65534), 0);
    }
    // Read-only last, once its contents exist.
    ASSERT_EQ(::chmod((r + "/modes").c_str(), 0555), 0);
}

namespace {

void expect_same_inode(const daxfs::Image &image, const daxfs_ino &in, const std::string &path,
                       const struct stat &st, bool ctime) {
    SCOPED_TRACE(path);
    EXPECT_EQ(in.mode, st.st_mode & (S_IFMT | 07777));
    EXPECT_EQ(in.uid, st.st_uid);
    EXPECT_EQ(in.gid, st.st_gid);
    EXPECT_EQ(in.nlink, st.st_nlink);
    EXPECT_EQ(in.mtime, st.st_mtim.tv_sec);
    EXPECT_EQ(in.mtime_nsec, st.st_mtim.tv_nsec);
    if (ctime) {
        EXPECT_EQ(in.ctime, st.st_ctim.tv_sec);
        EXPECT_EQ(in.ctime_nsec, st.st_ctim.tv_nsec);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        EXPECT_EQ(daxfs::decode_dev(in.rdev), st.st_rdev);
    else
        EXPECT_EQ(in.rdev, 0u);
    if (S_ISREG(st.st_mode)) {
        auto data = image.file_data(in);
        ASSERT_EQ(data.size(), static_cast<std::uint64_t>(st.st_size));
        std::vector<std::byte> want(data.size());
        int fd = ::open(path.c_str(), O_RDONLY);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::read(fd, want.data(), want.size()), static_cast<ssize_t>(want.size()));
        ::close(fd);
        EXPECT_TRUE(std::equal(want.begin(), want.end(), data.begin(), data.end()));
        // The rest of the last block is zero.
        const std::uint64_t end = in.data + in.size;
        const std::uint64_t block_end =
            (end + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE * DAXFS_BLOCK_SIZE;
        for (std::uint64_t at = end; in.size && at < block_end; at++)
            ASSERT_EQ(image.region()[at], std::byte{0}) << "padding at " << at;
    } else if (S_ISLNK(st.st_mode)) {
        char buf[DAXFS_SYMLINK_MAX + 1];
        ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
        ASSERT_GT(n, 0);
        EXPECT_EQ(image.link_target(in), std::string_view(buf, static_cast<std::size_t>(n)));
    }
}

} // namespace

void expect_same_tree(const daxfs::Image &image, const std::string &root, bool ctime) {
    namespace fs = std::filesystem;
    std::uint64_t names = 0, image_names = 0;
    struct stat st;
    ASSERT_EQ(::lstat(root.c_str(), &st), 0);
    expect_same_inode(image, image.root(), root, st, ctime);
    for (const auto &e : fs::recursive_directory_iterator(root)) {
        const std::string path = e.path().string();
        ASSERT_EQ(::lstat(path.c_str(), &st), 0);
        const daxfs_ino in = image.lookup(path.substr(root.size()));
        expect_same_inode(image, in, path, st, ctime);
        names++;
    }
    // Nothing more in the image than in the tree.
    std::vector<daxfs_ino> dirs{image.root()};
    for (std::size_t d = 0; d < dirs.size(); d++) {
        for (std::uint64_t i = 0; i < image.entry_count(dirs[d]); i++) {
            const daxfs_ino child = image.child(image.entry(dirs[d], i));
            image_names++;
            if (S_ISDIR(child.mode))
                dirs.push_back(child);
        }
    }
    EXPECT_EQ(image_names, names);
}

} // namespace testing_daxfs
