// SPDX-License-Identifier: GPL-2.0 OR MIT
// A file tree in memory over a base image, changed by decoded log records: what a branch
// (or main) shows. apply() gives each record the meaning the kernel's daxfs_index_apply()
// gives it (see the record comments in include/daxfs_format.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daxfs/reader.hpp"
#include "daxfs/tree.hpp"
#include "daxfs_log.h"

namespace daxfs {

struct VNode {
    std::uint32_t mode = 0;
    std::uint32_t uid = 0, gid = 0;
    std::uint32_t nlink = 0;
    std::uint32_t rdev = 0;
    std::uint64_t size = 0;
    Timestamp mtime, ctime;
    std::uint64_t parent = 0;                     // directories
    std::map<std::string, std::uint64_t> entries; // directories; std::string order is the
                                                  // format's (bytewise, prefix first)
    std::string target;                           // symlinks of the base image
    std::uint64_t target_page = 0;   // symlinks made in a branch: delta page of the target
    std::span<const std::byte> base; // regular files: content in the base image
    std::uint64_t base_limit = 0;    // base bytes at or past this offset read as zeros
    std::map<std::uint64_t, std::uint64_t> pages; // file page index -> delta page
};

class Overlay {
  public:
    // The base tree of @image, validated completely first (daxfs::Error otherwise).
    explicit Overlay(const Image &image);

    // Apply one record. daxfs::Error(EUCLEAN) if it does not fit the tree (a name that is
    // not there or already is, an inode of the wrong type, a non-empty directory removed).
    void apply(const daxfs_lrec &rec);

    const Image &image() const noexcept { return image_; }
    // Inode @ino has a name (an inode whose last name went stays, with nlink 0, as in the
    // kernel: an open file can still be written).
    bool exists(std::uint64_t ino) const {
        auto it = nodes_.find(ino);
        return it != nodes_.end() && it->second.nlink;
    }
    const VNode &node(std::uint64_t ino) const;
    // Resolve a path from the root without following symlinks; ENOENT / ENOTDIR.
    std::uint64_t lookup(std::string_view path) const;

    // The content of a regular file: straight from the image when the branch did not
    // change it, else assembled into @buf.
    std::span<const std::byte> content(const VNode &file, std::vector<std::byte> &buf) const;
    // The branch wrote or truncated the file's content.
    static bool data_changed(const VNode &file);
    // A symlink's target (read from the delta region for one made in a branch).
    std::string target(const VNode &link) const;

  private:
    VNode &get(std::uint64_t ino, const char *what);
    VNode &dir(std::uint64_t ino);
    void load_base();
    void add_name(VNode &parent, std::uint64_t parent_ino, std::string_view name, std::uint64_t ino,
                  Timestamp t);
    void drop_name(VNode &parent, std::string_view name, std::uint64_t ino, Timestamp t);
    void apply_write(const daxfs_lrec &r);
    void apply_truncate(std::uint64_t ino, std::uint64_t size, Timestamp t);
    void apply_create(const daxfs_lrec &r);
    void apply_link(const daxfs_lrec &r);
    void apply_unlink(const daxfs_lrec &r);
    VNode &victim(const daxfs_lrec &r, std::uint64_t ino);
    static void unlink_node(VNode &parent, VNode &n, Timestamp t);
    static void move_dir(VNode &node, VNode &from, VNode &to, std::uint64_t to_ino);
    void apply_rename(const daxfs_lrec &r);
    void apply_setattr(const daxfs_lrec &r);
    std::span<const std::byte> delta_page(std::uint64_t page) const;

    Image image_;
    std::unordered_map<std::uint64_t, VNode> nodes_;
};

// Nanoseconds since the epoch (the log's times) as a Timestamp.
Timestamp timestamp_ns(std::int64_t ns);

} // namespace daxfs
