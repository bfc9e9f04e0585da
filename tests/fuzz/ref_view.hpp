// SPDX-License-Identifier: GPL-2.0 OR MIT
// A second, deliberately plain implementation of the view operations of the shared record
// rules (common/daxfs_apply.h), standing in for the kernel's index (kernel/index.c): nodes
// made from the base inode table on first use, directories copied from the base when the
// rules first look into them, file pages as index -> (page, slot), and the slot's page
// check walking the inodes the slot touched, in inode order. fuzz_replay runs the same logs
// through it and through the tools' Overlay and compares the verdicts and the trees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>

#include "daxfs_apply.h"

namespace daxfs_fuzz {

// A verdict: 0 or a positive errno, and the reason.
struct Verdict {
    int err = 0;
    std::string msg;
    bool operator==(const Verdict &) const = default;
};

struct RefPage {
    std::uint64_t page = 0;
    std::uint32_t slot = 0;
    bool operator==(const RefPage &) const = default;
};

struct RefNode : daxfs_vnode {
    RefNode() : daxfs_vnode{} {}
    bool has_base = false;
    daxfs_ino base{};          // its inode in the base image (has_base)
    bool materialized = false; // directories: @names holds every entry
    std::map<std::string, std::uint64_t> names;
    std::map<std::uint64_t, RefPage> pages; // regular files: index -> delta page
    std::uint64_t link_src = 0;             // symlinks made by a record: target page
    std::uint32_t link_slot = 0;            // ... and the slot of that record
};

class RefView {
  public:
    // @region: a checked image with branches (daxfs_check_super() gave @geo).
    RefView(std::span<const std::byte> region, const daxfs_geo &geo);

    // Replay @br's log to its tail with daxfs_replay_slot().
    Verdict replay(const daxfs_br &br);

    // The node of @ino, made from the base if needed (as daxfs_node_get()); nullptr when
    // the number names nothing.
    const RefNode *node(std::uint64_t ino);
    // The entries of directory @dir: its index, or the base directory not copied yet.
    std::map<std::string, std::uint64_t> entries(const RefNode &dir) const;

  private:
    friend struct RefOps;
    int get(std::uint64_t ino, RefNode **out);
    int base_entries(const RefNode &dir, std::map<std::string, std::uint64_t> &out) const;
    int materialize(RefNode &dir);

    std::span<const std::byte> region_;
    daxfs_geo geo_;
    std::map<std::uint64_t, RefNode> nodes_;
    std::set<std::uint64_t> touched_; // inodes whose pages the current slot named
};

} // namespace daxfs_fuzz
