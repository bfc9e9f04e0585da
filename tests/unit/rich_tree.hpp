// SPDX-License-Identifier: GPL-2.0 OR MIT
// A generated tree with every kind of entry the format holds, and a comparison of an image
// against the directory it was built from.
#pragma once

#include <string>

#include "daxfs/reader.hpp"

namespace testing_daxfs {

// Files of many sizes (0, 4095, 4096, 4097, 1 MiB + 3), deep paths, a 255-byte name,
// symlinks, hard links, identical contents, a FIFO, odd modes and times, a big directory;
// device nodes, a socket and foreign owners when run as root.
void make_rich_tree(const std::string &root, int big_dir_entries = 2000);

// Every path under @root compared with @image: type, mode, uid, gid, size, mtime, nlink,
// rdev, content, link target (ctime too unless @ctime is false: extraction cannot set it);
// and the image holds nothing else. Reports failures through
// gtest.
void expect_same_tree(const daxfs::Image &image, const std::string &root, bool ctime = true);

} // namespace testing_daxfs
