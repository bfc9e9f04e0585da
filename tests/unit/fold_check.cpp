// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "fold_check.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sys/stat.h>

#include "daxfs/branches.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fold.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/validate.hpp"
#include "daxfs_log.h"
#include "log_writer.hpp"

namespace testing_daxfs {

namespace {

// Collects the differences of two views, the first few in words.
class Diff {
  public:
    template <typename T> void same(const std::string &what, const T &a, const T &b) {
        if (!(a == b))
            note(what);
    }
    void note(const std::string &what) {
        if (count_++ < 8)
            text_ += what + "; ";
    }
    std::string text() const {
        return count_ ? text_ + "(" + std::to_string(count_) + " differences)" : "";
    }

  private:
    std::string text_;
    unsigned count_ = 0;
};

std::map<std::uint64_t, std::uint64_t> page_map(const daxfs::VNode &n) {
    std::map<std::uint64_t, std::uint64_t> m;
    for (const auto &[index, ref] : n.pages)
        m[index] = ref.page;
    return m;
}

void times(Diff &d, const std::string &at, const daxfs::VNode &x, const daxfs::VNode &y) {
    d.same(at + " atime", std::pair(x.atime.sec, x.atime.nsec),
           std::pair(y.atime.sec, y.atime.nsec));
    d.same(at + " mtime", std::pair(x.mtime.sec, x.mtime.nsec),
           std::pair(y.mtime.sec, y.mtime.nsec));
    d.same(at + " ctime", std::pair(x.ctime.sec, x.ctime.nsec),
           std::pair(y.ctime.sec, y.ctime.nsec));
}

// Everything the views show of one inode.
void compare_node(Diff &d, const daxfs::Overlay &a, const daxfs::Overlay &b, const daxfs::VNode &x,
                  const daxfs::VNode &y) {
    const std::string at = "inode " + std::to_string(x.ino);
    d.same(at + " mode", x.mode, y.mode);
    d.same(at + " uid", x.uid, y.uid);
    d.same(at + " gid", x.gid, y.gid);
    d.same(at + " nlink", x.nlink, y.nlink);
    d.same(at + " rdev", x.rdev, y.rdev);
    d.same(at + " size", x.size, y.size);
    d.same(at + " parent", x.parent, y.parent);
    d.same(at + " base_limit", x.base_limit, y.base_limit);
    times(d, at, x, y);
    d.same(at + " entries", x.entries, y.entries);
    d.same(at + " pages", page_map(x), page_map(y));
    d.same(at + " target page", x.target_page, y.target_page);
    if (S_ISLNK(x.mode))
        d.same(at + " target", a.target(x), b.target(y));
    if (S_ISREG(x.mode)) {
        std::vector<std::byte> bx, by;
        const auto cx = a.content(x, bx);
        const auto cy = b.content(y, by);
        if (!std::equal(cx.begin(), cx.end(), cy.begin(), cy.end()))
            d.note(at + " content");
    }
}

std::set<std::uint64_t> live_inodes(const daxfs::Overlay &v) {
    std::set<std::uint64_t> live;
    for (const auto &[ino, n] : v.nodes())
        if (n.nlink)
            live.insert(ino);
    return live;
}

std::string compare(const daxfs::Overlay &a, const daxfs::Overlay &b) {
    Diff d;
    const auto live = live_inodes(a);
    if (live != live_inodes(b))
        d.note("live inodes");
    else
        for (const std::uint64_t ino : live)
            compare_node(d, a, b, a.node(ino), b.node(ino));
    return d.text();
}

daxfs_live live_words(const std::vector<std::byte> &img) {
    daxfs_live live;
    std::memcpy(&live, img.data() + DAXFS_SUPER_FIXED_SIZE, sizeof(live));
    return live;
}

// The limbo's inode number: taken from the live words, as a kernel takes one.
std::uint64_t take_ino(std::vector<std::byte> &img) {
    daxfs_live live = live_words(img);
    const std::uint64_t ino = le64toh(live.next_ino);
    live.next_ino = htole64(ino + 1);
    std::memcpy(img.data() + DAXFS_SUPER_FIXED_SIZE, &live, sizeof(live));
    return ino;
}

// Append @records as the log of a new slot that owns every page they name (with @take, else
// they stay where they are, as before a folder hands them over).
std::uint32_t write_log(std::vector<std::byte> &img, const daxfs_geo &geo,
                        const std::vector<std::vector<std::byte>> &records, bool take = true) {
    LogWriter w(img);
    const std::uint32_t slot = w.branch("fold");
    auto own = [&](std::uint64_t page) {
        if (!take)
            return;
        const __le32 o = htole32(DAXFS_OWNER(slot));
        std::memcpy(img.data() + geo.delta_off + 4 * page, &o, sizeof(o));
    };
    for (const auto &rec : records) {
        daxfs_lrec r{};
        daxfs_report rep{};
        if (daxfs_rec_decode(rec.data(), static_cast<std::uint32_t>(rec.size()), &geo, &r, &rep))
            throw daxfs::Error(EUCLEAN, std::string("fold record refused: ") + rep.msg);
        for (std::uint32_t i = 0; r.type == DAXFS_REC_WRITE && i < r.count; i++) {
            std::uint64_t index, page;
            daxfs_lrec_page(&r, i, &index, &page);
            own(page);
        }
        if (r.type == DAXFS_REC_SYMLINK)
            own(r.page);
        w.append(slot, rec);
    }
    return slot;
}

// What the cleanup after a fold leaves: main is @fold alone, every other slot is free and
// so is every page no slot owns any more.
void retire_others(std::vector<std::byte> &img, const daxfs_geo &geo, std::uint32_t fold) {
    for (std::uint32_t s = 1; s < DAXFS_BRANCH_COUNT; s++) {
        const std::uint64_t at = geo.branch_off + s * sizeof(daxfs_branch);
        daxfs_branch br;
        std::memcpy(&br, img.data() + at, sizeof(br));
        if (s == fold || le32toh(br.state) == DAXFS_BRANCH_FREE)
            continue;
        br.state = htole32(DAXFS_BRANCH_FREE);
        std::memcpy(img.data() + at, &br, sizeof(br));
    }
    daxfs_live live = live_words(img);
    for (std::uint64_t page = geo.meta_pages; page < geo.delta_pages; page++) {
        __le32 o;
        std::memcpy(&o, img.data() + geo.delta_off + 4 * page, sizeof(o));
        if (le32toh(o) == DAXFS_OWNER_FREE || le32toh(o) == DAXFS_OWNER(fold))
            continue;
        o = htole32(DAXFS_OWNER_FREE);
        std::memcpy(img.data() + geo.delta_off + 4 * page, &o, sizeof(o));
        live.free_pages = htole64(le64toh(live.free_pages) + 1);
    }
    std::memcpy(img.data() + DAXFS_SUPER_FIXED_SIZE, &live, sizeof(live));
    LogWriter(img).commit(fold);
}

} // namespace

std::uint64_t next_ino(const std::vector<std::byte> &img) {
    return le64toh(live_words(img).next_ino);
}

Folded fold_main(std::vector<std::byte> &img, std::int64_t now) {
    const daxfs::Image image(img);
    const daxfs::Overlay view = daxfs::replay_view(image, "main");
    Folded f;
    f.records = daxfs::fold_records(view, take_ino(img), now);
    // The fold's log pages are FREE ones: the view's pages stay as they are.
    f.slot = write_log(img, image.geo(), f.records);
    retire_others(img, image.geo(), f.slot);
    const daxfs::Image after(img);
    const daxfs::Overlay again = daxfs::replay_view(after, "main");
    f.diff = compare(view, again);
    // Every page the fold's slot owns is one its log names or holds it: none leaked.
    std::uint64_t leaked = 0;
    const daxfs::Validation v = daxfs::validate_all(img, leaked);
    if (!v.ok || leaked)
        f.diff +=
            "fsck after the fold: " + (v.ok ? std::to_string(leaked) + " pages leaked" : v.message);
    return f;
}

Folded publish_fold(std::vector<std::byte> &img, std::int64_t now) {
    const daxfs::Image image(img);
    const daxfs::Overlay view = daxfs::replay_view(image, "main");
    Folded f;
    f.records = daxfs::fold_records(view, take_ino(img), now);
    f.slot = write_log(img, image.geo(), f.records, false);
    daxfs_live live = live_words(img);
    const std::uint64_t at = image.geo().branch_off + f.slot * sizeof(daxfs_branch);
    daxfs_branch br;
    std::memcpy(&br, img.data() + at, sizeof(br));
    br.state = htole32(DAXFS_BRANCH_COMMITTED);
    br.flags = htole32(DAXFS_BRANCH_F_FOLD);
    br.parent = htole32(DAXFS_HEAD_SLOT(le64toh(live.main_head)));
    br.parent_gen = htole64(DAXFS_HEAD_GEN(le64toh(live.main_head)));
    std::memcpy(img.data() + at, &br, sizeof(br));
    live.fold_head = htole64(DAXFS_HEAD(f.slot, le64toh(br.generation)));
    live.fold_need = htole64(le64toh(live.commit_seq) + 1);
    live.commit_seq = live.fold_need;
    std::memcpy(img.data() + DAXFS_SUPER_FIXED_SIZE, &live, sizeof(live));
    const daxfs::Image after(img);
    f.diff = compare(view, daxfs::replay_view(after, "main"));
    return f;
}

} // namespace testing_daxfs
