// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "ref_view.hpp"

#include <cerrno>
#include <string_view>
#include <sys/stat.h>

namespace daxfs_fuzz {

RefView::RefView(std::span<const std::byte> region, const daxfs_geo &geo)
    : region_(region), geo_(geo) {}

// As daxfs_node_get() and daxfs_node_from_base().
int RefView::get(std::uint64_t ino, RefNode **out) {
    if (auto it = nodes_.find(ino); it != nodes_.end()) {
        *out = &it->second;
        return 0;
    }
    if (ino < 1 || ino > geo_.inode_count)
        return -ENOENT;
    daxfs_report rep{};
    daxfs_ino in{};
    if (int err = daxfs_read_inode(region_.data(), &geo_, ino, &in, &rep))
        return err;
    RefNode n;
    n.ino = ino;
    n.has_base = true;
    n.base = in;
    n.mode = in.mode;
    n.uid = in.uid;
    n.gid = in.gid;
    n.nlink = in.nlink;
    n.rdev = in.rdev;
    n.size = in.size;
    n.mtime = {in.mtime, in.mtime_nsec};
    n.atime = n.mtime;
    n.ctime = {in.ctime, in.ctime_nsec};
    n.parent = in.parent;
    n.base_limit = S_ISREG(in.mode) ? in.size : 0;
    *out = &nodes_.emplace(ino, std::move(n)).first->second;
    return 0;
}

const RefNode *RefView::node(std::uint64_t ino) {
    RefNode *n = nullptr;
    return get(ino, &n) ? nullptr : n;
}

// The entries of @dir's base directory, in @out; a name twice is corruption.
int RefView::base_entries(const RefNode &dir, std::map<std::string, std::uint64_t> &out) const {
    const std::uint64_t count = dir.has_base ? daxfs_dir_count(&dir.base) : 0;
    for (std::uint64_t i = 0; i < count; i++) {
        daxfs_report rep{};
        daxfs_dent de{};
        if (int err = daxfs_read_dirent(region_.data(), &geo_, &dir.base, i, &de, &rep))
            return err;
        if (!out.emplace(std::string(de.name, de.name_len), de.ino).second)
            return -EUCLEAN;
    }
    return 0;
}

// As daxfs_dir_materialize(): copy the base entries once.
int RefView::materialize(RefNode &dir) {
    if (dir.materialized)
        return 0;
    std::map<std::string, std::uint64_t> names;
    if (int err = base_entries(dir, names))
        return err;
    dir.names = std::move(names);
    dir.materialized = true;
    return 0;
}

std::map<std::string, std::uint64_t> RefView::entries(const RefNode &dir) const {
    if (dir.materialized)
        return dir.names;
    std::map<std::string, std::uint64_t> names;
    base_entries(dir, names);
    return names;
}

// The operations, as kernel/index.c's daxfs_vop_*. No allocation failure is handled:
// libFuzzer stops on one anyway.
struct RefOps {
    static RefView &view(daxfs_replay *rp) { return *static_cast<RefView *>(rp->view); }
    static RefNode &of(daxfs_vnode *v) { return *static_cast<RefNode *>(v); }
    static std::string name(const char *p, u32 len) { return {p, len}; }

    static int get(daxfs_replay *rp, u64 ino, daxfs_vnode **out) {
        RefNode *n = nullptr;
        const int err = view(rp).get(ino, &n);
        if (!err)
            *out = n;
        return err;
    }
    static int create(daxfs_replay *rp, u64 ino, u32 mode, daxfs_vnode **out) {
        RefNode n;
        n.ino = ino;
        n.mode = mode;
        n.materialized = S_ISDIR(mode);
        auto [it, fresh] = view(rp).nodes_.emplace(ino, std::move(n));
        if (!fresh)
            return -EBUSY; // xa_insert() on a used number
        *out = &it->second;
        return 0;
    }
    static void forget(daxfs_replay *rp, daxfs_vnode *v) { view(rp).nodes_.erase(v->ino); }
    static int lookup(daxfs_replay *rp, daxfs_vnode *dir, const char *p, u32 len, u64 *ino) {
        if (int err = view(rp).materialize(of(dir)))
            return err;
        const auto &names = of(dir).names;
        auto it = names.find(name(p, len));
        if (it == names.end())
            return -ENOENT;
        *ino = it->second;
        return 0;
    }
    static int empty(daxfs_replay *, daxfs_vnode *dir) {
        const RefNode &d = of(dir);
        if (d.materialized)
            return d.names.empty();
        return !d.has_base || daxfs_dir_count(&d.base) == 0;
    }
    static int add(daxfs_replay *rp, daxfs_vnode *dir, const char *p, u32 len, u64 ino, u32) {
        if (int err = view(rp).materialize(of(dir)))
            return err;
        of(dir).names.emplace(name(p, len), ino);
        return 0;
    }
    static void remove(daxfs_replay *, daxfs_vnode *dir, const char *p, u32 len) {
        of(dir).names.erase(name(p, len));
    }
    static void retarget(daxfs_replay *, daxfs_vnode *dir, const char *p, u32 len, u64 ino, u32) {
        auto &names = of(dir).names;
        if (auto it = names.find(name(p, len)); it != names.end())
            it->second = ino;
    }
    static int map(daxfs_replay *rp, daxfs_vnode *file, u64 index, u64 page) {
        of(file).pages[index] = RefPage{page, rp->slot};
        view(rp).touched_.insert(file->ino);
        return 0;
    }
    static void trim(daxfs_replay *, daxfs_vnode *file, u64 first) {
        auto &pages = of(file).pages;
        pages.erase(pages.lower_bound(first), pages.end());
    }
    static int set_link(daxfs_replay *rp, daxfs_vnode *link, u64 page) {
        of(link).link_src = page;
        of(link).link_slot = rp->slot;
        view(rp).touched_.insert(link->ino);
        return 0;
    }
    // The touched inodes in number order, those with a name left; a symlink's target, or
    // the file pages the slot mapped in index order.
    static int each_page(daxfs_replay *rp, int (*fn)(daxfs_replay *, const daxfs_vpage *)) {
        RefView &v = view(rp);
        for (std::uint64_t ino : v.touched_) {
            auto it = v.nodes_.find(ino);
            if (it == v.nodes_.end() || !it->second.nlink)
                continue;
            const RefNode &n = it->second;
            if (S_ISLNK(n.mode) && n.link_src && n.link_slot == rp->slot) {
                const daxfs_vpage vp{ino, n.link_src, 0, static_cast<u32>(n.size)};
                if (int err = fn(rp, &vp))
                    return err;
                continue;
            }
            for (const auto &[index, ref] : n.pages) {
                if (ref.slot != rp->slot)
                    continue;
                const daxfs_vpage vp{ino, ref.page, index, 0};
                if (int err = fn(rp, &vp))
                    return err;
            }
        }
        return 0;
    }
    static constexpr daxfs_view_ops table{get,      create,  forget,   lookup,    empty,
                                          add,      remove,  retarget, map,       trim,
                                          set_link, nullptr, nullptr,  each_page, nullptr};
};

Verdict RefView::replay(const daxfs_br &br) {
    daxfs_report rep{};
    daxfs_replay rp{};
    rp.ops = &RefOps::table;
    rp.view = this;
    rp.region = region_.data();
    rp.geo = &geo_;
    rp.rep = &rep;
    touched_.clear();
    const int err = daxfs_replay_slot(&rp, &br, br.log_tail, nullptr);
    touched_.clear();
    if (!err)
        return {};
    return {-err,
            rep.msg[0] ? rep.msg : "replay of branch slot " + std::to_string(br.slot) + " failed"};
}

} // namespace daxfs_fuzz
