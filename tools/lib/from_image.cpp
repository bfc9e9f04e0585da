// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/from_image.hpp"

#include <sys/stat.h>
#include <unordered_map>

#include "daxfs/branches.hpp"
#include "daxfs/error.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/validate.hpp"

namespace daxfs {

namespace {

Node node_of_inode(const Image &image, const daxfs_ino &in) {
    Node n;
    n.mode = in.mode;
    n.uid = in.uid;
    n.gid = in.gid;
    n.mtime = {in.mtime, in.mtime_nsec};
    n.ctime = {in.ctime, in.ctime_nsec};
    n.rdev = in.rdev;
    if (S_ISREG(in.mode)) {
        n.size = in.size;
        n.source.bytes = image.file_data(in);
    } else if (S_ISLNK(in.mode)) {
        n.size = in.size;
        n.target = std::string(image.link_target(in));
    }
    return n;
}

Node node_of_vnode(const Overlay &view, const VNode &v, Tree &tree) {
    Node n;
    n.mode = v.mode;
    n.uid = v.uid;
    n.gid = v.gid;
    n.mtime = timestamp(v.mtime);
    n.ctime = timestamp(v.ctime);
    n.rdev = v.rdev;
    if (S_ISREG(v.mode)) {
        n.size = v.size;
        if (Overlay::data_changed(v)) {
            auto buf = std::make_shared<std::vector<std::byte>>();
            n.source.bytes = view.content(v, *buf);
            tree.buffers.push_back(std::move(buf));
        } else {
            n.source.bytes = v.base;
        }
    } else if (S_ISLNK(v.mode)) {
        n.target = view.target(v);
        n.size = n.target.size();
    }
    return n;
}

} // namespace

Tree tree_from_overlay(const Overlay &view) {
    Tree tree;
    std::unordered_map<std::uint64_t, std::uint32_t> node_for;
    std::vector<std::uint64_t> dirs{DAXFS_ROOT_INO};
    tree.nodes.push_back(node_of_vnode(view, view.node(DAXFS_ROOT_INO), tree));
    node_for[DAXFS_ROOT_INO] = 0;
    for (std::size_t d = 0; d < dirs.size(); d++) {
        const VNode &dir = view.node(dirs[d]);
        std::vector<Entry> entries;
        entries.reserve(dir.entries.size());
        for (const auto &[name, ino] : dir.entries) {
            auto [it, fresh] =
                node_for.try_emplace(ino, static_cast<std::uint32_t>(tree.nodes.size()));
            if (fresh) {
                const VNode &child = view.node(ino);
                tree.nodes.push_back(node_of_vnode(view, child, tree));
                if (S_ISDIR(child.mode))
                    dirs.push_back(ino);
            }
            entries.push_back({name, it->second});
        }
        tree.nodes[node_for[dirs[d]]].entries = std::move(entries);
    }
    return tree;
}

Tree tree_from_image(const Image &image) {
    if (has_branches(image))
        return tree_from_overlay(replay_view(image, "main"));
    Validation v = validate_image(image.region());
    if (!v.ok)
        throw Error(v.err, "invalid image: " + v.message);
    Tree tree;
    std::vector<std::uint32_t> node_for(image.geo().inode_count + 1, UINT32_MAX);
    std::vector<std::uint64_t> dirs{DAXFS_ROOT_INO}; // breadth-first, by inode number
    tree.nodes.push_back(node_of_inode(image, image.root()));
    node_for[DAXFS_ROOT_INO] = 0;
    for (std::size_t d = 0; d < dirs.size(); d++) {
        const daxfs_ino dir = image.inode(dirs[d]);
        std::vector<Entry> entries;
        const std::uint64_t count = image.entry_count(dir);
        entries.reserve(count);
        for (std::uint64_t i = 0; i < count; i++) {
            const Dirent de = image.entry(dir, i);
            if (node_for[de.ino] == UINT32_MAX) {
                const daxfs_ino in = image.child(de);
                node_for[de.ino] = static_cast<std::uint32_t>(tree.nodes.size());
                tree.nodes.push_back(node_of_inode(image, in));
                if (S_ISDIR(in.mode))
                    dirs.push_back(de.ino);
            }
            entries.push_back({std::string(de.name), node_for[de.ino]});
        }
        tree.nodes[node_for[dirs[d]]].entries = std::move(entries);
    }
    return tree;
}

} // namespace daxfs
