// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/layout.hpp"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <iterator>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unordered_map>

#include "daxfs/error.hpp"
#include "daxfs_format.h"

namespace daxfs {

namespace {

constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t align) {
    return (v + align - 1) / align * align;
}

// The writer's side of the format's rules for names and link targets (what the checker
// in common/ refuses when reading); trees built by hand or by a scanner must keep them.
void check_entry(const Tree &tree, const Entry &e) {
    const std::string_view n = e.name;
    if (n.empty() || n.size() > DAXFS_NAME_MAX)
        throw Error(ENAMETOOLONG,
                    fmt::format("name '{}' is not 1..{} bytes long", n, DAXFS_NAME_MAX));
    if (n == "." || n == ".." || n.find_first_of(std::string_view("/\0", 2)) != n.npos)
        throw Error(EINVAL, fmt::format("'{}' cannot be a name in a directory", n));
    if (e.node >= tree.nodes.size())
        throw Error(EINVAL, fmt::format("entry '{}' names no node", n));
    const Node &node = tree.nodes[e.node];
    if (S_ISLNK(node.mode) && (node.target.empty() || node.target.size() > DAXFS_SYMLINK_MAX ||
                               node.target.find('\0') != std::string::npos))
        throw Error(ENAMETOOLONG,
                    fmt::format("symlink '{}': target is not 1..{} bytes", n, DAXFS_SYMLINK_MAX));
}

// Inode numbers, names per inode and parents, breadth-first from the root.
void number_inodes(const Tree &tree, Layout &l) {
    const auto &nodes = tree.nodes;
    l.ino_of.assign(nodes.size(), 0);
    l.node_of.assign(1, 0);
    l.ino_of[0] = DAXFS_ROOT_INO;
    std::vector<std::uint64_t> names(1, 1), subdirs(1, 0);
    l.parent.assign(1, DAXFS_ROOT_INO);
    for (std::size_t i = 0; i < l.node_of.size(); i++) {
        const Node &dir = nodes[l.node_of[i]];
        for (const Entry &e : dir.entries) {
            check_entry(tree, e);
            const bool is_dir = S_ISDIR(nodes[e.node].mode);
            std::uint32_t ino = l.ino_of[e.node];
            if (!ino) {
                if (l.node_of.size() >= UINT32_MAX - 1)
                    throw Error(EFBIG, fmt::format("too many inodes (the format holds {})",
                                                   UINT32_MAX - 1));
                l.node_of.push_back(e.node);
                ino = static_cast<std::uint32_t>(l.node_of.size());
                l.ino_of[e.node] = ino;
                names.push_back(0);
                subdirs.push_back(0);
                l.parent.push_back(is_dir ? static_cast<std::uint32_t>(i + 1) : 0);
                if (is_dir)
                    subdirs[i]++;
            } else if (is_dir) {
                throw Error(EINVAL, fmt::format("directory '{}' has more than one name", e.name));
            }
            names[ino - 1]++;
        }
    }
    l.nlink.resize(l.node_of.size());
    for (std::size_t i = 0; i < l.node_of.size(); i++) {
        std::uint64_t n = S_ISDIR(nodes[l.node_of[i]].mode) ? 2 + subdirs[i] : names[i];
        if (n > UINT32_MAX)
            throw Error(EMLINK, "too many links to one inode");
        l.nlink[i] = static_cast<std::uint32_t>(n);
    }
}

void count(const Tree &tree, Layout &l) {
    for (std::size_t i = 0; i < l.node_of.size(); i++) {
        const Node &n = tree.nodes[l.node_of[i]];
        count_inode(l.counts, n.mode, n.size, l.nlink[i]);
    }
}

// Directories and symlink targets, packed from data_off; returns where they end.
std::uint64_t place_metadata(const Tree &tree, Layout &l) {
    std::uint64_t at = l.data_off;
    for (std::uint64_t i = 0; i < l.node_of.size(); i++) {
        const Node &node = tree.nodes[l.node_of[i]];
        if (S_ISDIR(node.mode) && !node.entries.empty()) {
            at = round_up(at, DAXFS_DIR_ALIGN);
            l.data[i] = at;
            at += node.entries.size() * sizeof(struct daxfs_dirent);
        } else if (S_ISLNK(node.mode)) {
            l.data[i] = at;
            at += node.target.size() + 1;
        }
    }
    return at;
}

// Free ranges left before huge contents, as (bytes, start): the smallest that holds a
// content is found with lower_bound, the lowest offset first among equal ones.
class Gaps {
  public:
    void add(std::uint64_t start, std::uint64_t end) {
        if (end > start)
            free_.emplace(end - start, start);
    }
    // Start of @bytes taken from the smallest gap that holds them, if one does.
    std::optional<std::uint64_t> take(std::uint64_t bytes) {
        auto it = free_.lower_bound({bytes, 0});
        if (it == free_.end())
            return std::nullopt;
        const auto [room, start] = *it;
        free_.erase(it);
        add(start + bytes, start + room);
        return start;
    }
    std::uint64_t left() const {
        std::uint64_t sum = 0;
        for (const auto &[room, start] : free_)
            sum += room;
        return sum;
    }

  private:
    std::set<std::pair<std::uint64_t, std::uint64_t>> free_;
};

// Regular files' contents from files_off (see plan_layout()).
void place_files(const Tree &tree, Layout &l, Placement placement) {
    const std::uint64_t n = l.node_of.size();
    // Inodes that hold a copy of their content, in inode order; the others share one.
    std::vector<std::uint64_t> owners;
    std::vector<std::uint64_t> owner_of(n, UINT64_MAX);
    std::unordered_map<std::uint32_t, std::uint64_t> shared; // same_data -> owner
    for (std::uint64_t i = 0; i < n; i++) {
        const Node &node = tree.nodes[l.node_of[i]];
        if (!S_ISREG(node.mode) || !node.size)
            continue;
        if (node.same_data) {
            auto [it, fresh] = shared.try_emplace(node.same_data, i);
            owner_of[i] = it->second;
            if (!fresh)
                continue;
        } else {
            owner_of[i] = i;
        }
        owners.push_back(i);
        if (node.size >= DAXFS_HUGE_SIZE)
            l.huge_files++;
    }
    auto bytes = [&](std::uint64_t i) {
        return round_up(tree.nodes[l.node_of[i]].size, DAXFS_BLOCK_SIZE);
    };
    auto huge = [&](std::uint64_t i) { return tree.nodes[l.node_of[i]].size >= DAXFS_HUGE_SIZE; };
    std::uint64_t at = l.files_off;
    if (placement == Placement::packed || !l.huge_files) {
        for (std::uint64_t i : owners) {
            l.data[i] = at;
            at += bytes(i);
        }
    } else {
        Gaps gaps;
        for (std::uint64_t i : owners) {
            if (!huge(i))
                continue;
            const std::uint64_t start = round_up(at, DAXFS_HUGE_SIZE);
            gaps.add(at, start);
            l.data[i] = start;
            at = start + bytes(i);
        }
        // Into the gaps, largest first (the smallest fill what the larger leave); the
        // rest after everything, in inode order.
        std::vector<std::uint64_t> small;
        std::copy_if(owners.begin(), owners.end(), std::back_inserter(small),
                     [&](std::uint64_t i) { return !huge(i); });
        std::vector<std::uint64_t> largest_first = small;
        std::stable_sort(largest_first.begin(), largest_first.end(),
                         [&](std::uint64_t a, std::uint64_t b) { return bytes(a) > bytes(b); });
        for (std::uint64_t i : largest_first)
            if (const auto start = gaps.take(bytes(i)))
                l.data[i] = *start;
        for (std::uint64_t i : small) {
            if (!l.data[i]) { // 0 is the superblock's, never a content's
                l.data[i] = at;
                at += bytes(i);
            }
        }
        l.huge_pad = gaps.left();
    }
    for (std::uint64_t i = 0; i < n; i++)
        if (owner_of[i] != UINT64_MAX)
            l.data[i] = l.data[owner_of[i]];
    l.base_size = at;
}

void place_data(const Tree &tree, Layout &l, Placement placement) {
    const std::uint64_t n = l.node_of.size();
    l.inode_off = sizeof(struct daxfs_super);
    if (l.branching())
        l.inode_off += round_up(DAXFS_BRANCH_COUNT * sizeof(struct daxfs_branch), DAXFS_BLOCK_SIZE);
    l.data_off = round_up(l.inode_off + n * sizeof(struct daxfs_inode), DAXFS_BLOCK_SIZE);
    l.data.assign(n, 0);
    l.files_off = round_up(place_metadata(tree, l), DAXFS_BLOCK_SIZE);
    place_files(tree, l, placement);
    l.image_size = l.base_size;
    if (l.branching())
        l.delta_off = l.base_size;
}

} // namespace

void count_inode(Counts &c, std::uint32_t mode, std::uint64_t size, std::uint32_t nlink) {
    c.inodes++;
    switch (mode & S_IFMT) {
    case S_IFREG:
        c.files++;
        c.data_bytes += size;
        break;
    case S_IFDIR:
        c.dirs++;
        break;
    case S_IFLNK:
        c.symlinks++;
        break;
    default:
        c.specials++;
    }
    if (!S_ISDIR(mode) && nlink > 1)
        c.hardlinks += nlink - 1;
}

Layout plan_layout(const Tree &tree, bool branching, Placement placement) {
    if (tree.nodes.empty() || !S_ISDIR(tree.nodes[0].mode))
        throw Error(EINVAL, "the root of a tree must be a directory");
    Layout l;
    if (branching)
        l.branch_off = sizeof(struct daxfs_super);
    number_inodes(tree, l);
    count(tree, l);
    place_data(tree, l, placement);
    return l;
}

std::uint64_t meta_pages(std::uint64_t delta_pages) {
    return (delta_pages * sizeof(__le32) + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE;
}

void set_delta_size(Layout &l, std::uint64_t bytes) {
    if (!l.branching())
        throw Error(EINVAL, "a delta region needs a layout with branches");
    bytes -= bytes % DAXFS_BLOCK_SIZE;
    if (bytes < kMinDeltaSize)
        throw Error(EINVAL, fmt::format("a delta region of {} bytes is too small (at least {})",
                                        bytes, kMinDeltaSize));
    l.delta_size = bytes;
    l.image_size = l.delta_off + bytes;
}

} // namespace daxfs
