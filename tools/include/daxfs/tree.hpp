// SPDX-License-Identifier: GPL-2.0 OR MIT
// The in-memory model of a file tree, as the image writer consumes it. It is filled either
// from a directory (scan.hpp) or from an existing image (from_image.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace daxfs {

struct Timestamp {
    std::int64_t sec = 0;
    std::uint32_t nsec = 0;
    bool operator==(const Timestamp &) const = default;
};

struct Entry {
    std::string name;   // 1..DAXFS_NAME_MAX bytes, no '/' or NUL, not "." or ".."
    std::uint32_t node; // index into Tree::nodes
};

// Where the bytes of a regular file come from: a path to read, or bytes in memory.
struct FileSource {
    std::string path;
    std::span<const std::byte> bytes;
};

struct Node {
    std::uint32_t mode = 0; // S_IFMT bits and 07777
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    Timestamp mtime;
    Timestamp ctime;
    std::uint32_t rdev = 0;      // devices: encode_dev() form
    std::uint64_t size = 0;      // regular file: content bytes; symlink: target bytes
    std::string target;          // symlink target
    FileSource source;           // regular file content
    std::uint32_t same_data = 0; // non-zero: files with the same value have identical content
    std::vector<Entry> entries;  // directory, sorted by daxfs_name_cmp(); hard links share nodes
};

struct Tree {
    std::vector<Node> nodes; // nodes[0] is the root directory
    // Memory some FileSource::bytes point into (contents assembled from a branch's log).
    std::vector<std::shared_ptr<const std::vector<std::byte>>> buffers;
};

// Sort a directory's entries in the order the format requires.
void sort_entries(std::vector<Entry> &entries);

} // namespace daxfs
