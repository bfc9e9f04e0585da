// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/overlay.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>

#include "daxfs/error.hpp"
#include "daxfs/path_walk.hpp"
#include "daxfs/validate.hpp"

namespace daxfs {

Overlay::Overlay(const Image &image) : image_(image) { load_base(); }

void Overlay::load_base() {
    const Validation v = validate_image(image_.region());
    if (!v.ok)
        throw Error(v.err, "invalid image: " + v.message);
    std::vector<std::uint64_t> dirs{DAXFS_ROOT_INO};
    auto add = [&](const daxfs_ino &in) {
        VNode n;
        n.ino = in.ino;
        n.mode = in.mode;
        n.uid = in.uid;
        n.gid = in.gid;
        n.nlink = in.nlink;
        n.rdev = in.rdev;
        n.mtime = {in.mtime, in.mtime_nsec};
        n.atime = n.mtime;
        n.ctime = {in.ctime, in.ctime_nsec};
        if (S_ISREG(in.mode)) {
            n.size = in.size;
            n.base = image_.file_data(in);
            n.base_limit = in.size;
        } else if (S_ISLNK(in.mode)) {
            n.size = in.size;
            n.target = std::string(image_.link_target(in));
        } else if (S_ISDIR(in.mode)) {
            n.parent = in.parent;
        }
        nodes_.emplace(in.ino, std::move(n));
    };
    add(image_.root());
    for (std::size_t d = 0; d < dirs.size(); d++) {
        const daxfs_ino dir = image_.inode(dirs[d]);
        std::map<std::string, std::uint64_t> entries;
        const std::uint64_t count = image_.entry_count(dir);
        for (std::uint64_t i = 0; i < count; i++) {
            const Dirent de = image_.entry(dir, i);
            if (!nodes_.count(de.ino)) {
                const daxfs_ino in = image_.child(de);
                add(in);
                if (S_ISDIR(in.mode))
                    dirs.push_back(de.ino);
            }
            entries.emplace_hint(entries.end(), std::string(de.name), de.ino);
        }
        nodes_.at(dir.ino).entries = std::move(entries);
    }
}

const VNode &Overlay::node(std::uint64_t ino) const {
    auto it = nodes_.find(ino);
    if (it == nodes_.end())
        throw Error(ENOENT, fmt::format("no inode {}", ino));
    return it->second;
}

std::uint64_t Overlay::lookup(std::string_view path) const {
    return walk_path(
        path, std::uint64_t{DAXFS_ROOT_INO},
        [this](std::uint64_t ino) { return S_ISDIR(node(ino).mode); },
        [this](std::uint64_t ino) { return node(ino).parent; },
        [this](std::uint64_t ino, std::string_view name) -> std::optional<std::uint64_t> {
            const auto &entries = node(ino).entries;
            auto it = entries.find(std::string(name));
            if (it == entries.end())
                return std::nullopt;
            return it->second;
        });
}

bool Overlay::data_changed(const VNode &f) {
    return !f.pages.empty() || f.size != f.base.size() || f.base_limit < f.base.size();
}

std::span<const std::byte> Overlay::delta_page(std::uint64_t page) const {
    void *region = const_cast<std::byte *>(image_.region().data());
    const void *p = daxfs_delta_page(region, &image_.geo(), page);
    if (!p || page < image_.geo().meta_pages)
        throw Error(EUCLEAN, fmt::format("delta page {} is outside the delta region", page));
    return {static_cast<const std::byte *>(p), DAXFS_BLOCK_SIZE};
}

std::span<const std::byte> Overlay::content(const VNode &f, std::vector<std::byte> &buf) const {
    if (!data_changed(f))
        return f.base;
    buf.assign(f.size, std::byte{0});
    const std::uint64_t from_base = std::min({f.base_limit, f.size, std::uint64_t{f.base.size()}});
    if (from_base) // a file made in a branch has no base bytes at all
        std::memcpy(buf.data(), f.base.data(), from_base);
    for (const auto &[index, ref] : f.pages) {
        const std::uint64_t off = index * DAXFS_BLOCK_SIZE;
        if (off >= f.size)
            break;
        const std::uint64_t len = std::min<std::uint64_t>(DAXFS_BLOCK_SIZE, f.size - off);
        std::memcpy(buf.data() + off, delta_page(ref.page).data(), len);
    }
    return buf;
}

std::string Overlay::target(const VNode &link) const {
    if (!link.target_page)
        return link.target;
    const auto bytes = delta_page(link.target_page).first(link.size);
    std::string t(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    if (t.find('\0') != std::string::npos)
        throw Error(EUCLEAN,
                    fmt::format("symlink target in delta page {} holds a NUL", link.target_page));
    return t;
}

// The tree operations of the shared record rules. They run inside C code: nothing may
// throw through them, so a failed allocation becomes -ENOMEM.
struct ViewOps {
    static Overlay &view(daxfs_replay *rp) { return *static_cast<Overlay *>(rp->view); }
    static VNode &of(daxfs_vnode *v) { return *static_cast<VNode *>(v); }
    static std::string name_of(const char *p, u32 len) { return {p, len}; }

    static int get(daxfs_replay *rp, u64 ino, daxfs_vnode **out) {
        auto it = view(rp).nodes_.find(ino);
        if (it == view(rp).nodes_.end())
            return -ENOENT;
        *out = &it->second;
        return 0;
    }
    static int create(daxfs_replay *rp, u64 ino, u32 mode, daxfs_vnode **out) try {
        VNode n;
        n.ino = ino;
        n.mode = mode;
        *out = &view(rp).nodes_.emplace(ino, std::move(n)).first->second;
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static void forget(daxfs_replay *rp, daxfs_vnode *v) { view(rp).nodes_.erase(v->ino); }
    static int lookup(daxfs_replay *, daxfs_vnode *dir, const char *name, u32 len, u64 *ino) try {
        const auto &e = of(dir).entries;
        auto it = e.find(name_of(name, len));
        if (it == e.end())
            return -ENOENT;
        *ino = it->second;
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static int empty(daxfs_replay *, daxfs_vnode *dir) { return of(dir).entries.empty(); }
    static int add(daxfs_replay *, daxfs_vnode *dir, const char *name, u32 len, u64 ino, u32) try {
        of(dir).entries.emplace(name_of(name, len), ino);
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static void remove(daxfs_replay *, daxfs_vnode *dir, const char *name, u32 len) {
        of(dir).entries.erase(name_of(name, len));
    }
    static void retarget(daxfs_replay *, daxfs_vnode *dir, const char *name, u32 len, u64 ino,
                         u32) {
        of(dir).entries[name_of(name, len)] = ino;
    }
    static int map(daxfs_replay *rp, daxfs_vnode *file, u64 index, u64 page) try {
        of(file).pages[index] = PageRef{page, rp->slot};
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static void trim(daxfs_replay *, daxfs_vnode *file, u64 first) {
        auto &p = of(file).pages;
        p.erase(p.lower_bound(first), p.end());
    }
    static int set_link(daxfs_replay *rp, daxfs_vnode *link, u64 page) {
        of(link).target_page = page;
        of(link).target_slot = rp->slot;
        return 0;
    }
    // In the order the contract sets (inode numbers, then page indices), so that a page
    // named twice is reported at the same inode by every view.
    static int each_page(daxfs_replay *rp, int (*fn)(daxfs_replay *, const daxfs_vpage *)) try {
        std::vector<u64> inos;
        inos.reserve(view(rp).nodes_.size());
        for (const auto &entry : view(rp).nodes_)
            inos.push_back(entry.first);
        std::sort(inos.begin(), inos.end());
        for (const u64 ino : inos) {
            const VNode &n = view(rp).nodes_.at(ino);
            if (!n.nlink) // an inode with no name left is out of the view
                continue;
            if (S_ISLNK(n.mode) && n.target_page && n.target_slot == rp->slot) {
                const daxfs_vpage vp{ino, n.target_page, 0, static_cast<u32>(n.size)};
                if (int err = fn(rp, &vp))
                    return err;
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
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static constexpr daxfs_view_ops table{get,      create,  forget,   lookup,    empty,
                                          add,      remove,  retarget, map,       trim,
                                          set_link, nullptr, nullptr,  each_page, nullptr};
};

void Overlay::replay(const daxfs_br &br) {
    daxfs_report rep{};
    daxfs_replay rp{};
    rp.ops = &ViewOps::table;
    rp.view = this;
    rp.region = image_.region().data();
    rp.geo = &image_.geo();
    rp.rep = &rep;
    const int err = daxfs_replay_slot(&rp, &br, br.log_tail, nullptr);
    if (err)
        throw Error(-err,
                    rep.msg[0] ? rep.msg : fmt::format("replay of branch slot {} failed", br.slot));
}

} // namespace daxfs
