// SPDX-License-Identifier: GPL-2.0 OR MIT
// A file tree in memory over a base image, changed by decoded log records: what a branch
// (or main) shows. Records get their meaning from common/daxfs_apply.c, the code the
// kernel runs: this file only provides the tree operations it works on.
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
#include "daxfs_apply.h"
#include "daxfs_log.h"

namespace daxfs {

// A delta page of a file and the slot whose record mapped it.
struct PageRef {
    std::uint64_t page = 0;
    std::uint32_t slot = 0;
};

// An inode of the view. The attributes the records change are the shared rules'
// (daxfs_vnode, common/daxfs_apply.h); the rest is this tree's own.
struct VNode : daxfs_vnode {
    VNode() : daxfs_vnode{} {}
    std::map<std::string, std::uint64_t> entries; // directories; std::string order is the
                                                  // format's (bytewise, prefix first)
    std::string target;                           // symlinks of the base image
    std::uint64_t target_page = 0;          // symlinks made in a branch: delta page of the target
    std::uint32_t target_slot = 0;          // ... and the slot whose record made it
    std::span<const std::byte> base;        // regular files: content in the base image
    std::map<std::uint64_t, PageRef> pages; // file page index -> delta page
};

class Overlay {
  public:
    // The base tree of @image, validated completely first (daxfs::Error otherwise).
    explicit Overlay(const Image &image);

    // Replay the log of branch @br (up to its tail) with the shared rules
    // (daxfs_replay_slot): daxfs::Error(EUCLEAN) with the rules' reason if a record does
    // not fit the tree or the pages it leaves named are not the slot's own.
    void replay(const daxfs_br &br);

    const Image &image() const noexcept { return image_; }
    // Inode @ino has a name (an inode whose last name went stays, with nlink 0, as in the
    // kernel: an open file can still be written).
    bool exists(std::uint64_t ino) const {
        auto it = nodes_.find(ino);
        return it != nodes_.end() && it->second.nlink;
    }
    const VNode &node(std::uint64_t ino) const;
    // Every inode of the view (base ones included, and those with nlink 0), in no order.
    const std::unordered_map<std::uint64_t, VNode> &nodes() const noexcept { return nodes_; }
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
    friend struct ViewOps;
    void load_base();
    std::span<const std::byte> delta_page(std::uint64_t page) const;

    Image image_;
    std::unordered_map<std::uint64_t, VNode> nodes_;
};

// A view timestamp as a Timestamp.
inline Timestamp timestamp(const daxfs_vtime &t) { return {t.sec, t.nsec}; }

} // namespace daxfs
