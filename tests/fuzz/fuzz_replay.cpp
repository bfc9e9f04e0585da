// SPDX-License-Identifier: GPL-2.0 OR MIT
// libFuzzer target over replay: the input is a program (replay_program.hpp) of branches and
// well-formed log records over a fixed small base image. The logs are replayed with the
// shared rules (common/daxfs_apply.c) through two implementations of the view operations:
// the tools' Overlay, as fsck.daxfs runs it (daxfs::validate_all), and the plain reference
// view of ref_view.cpp, which mirrors the kernel's index. Every chain validate_all replays
// (main's, then each active branch's) is replayed through both, slot by slot; the verdicts
// (errno and reason) and then the trees (every inode's attributes, entries and pages) must
// be the same, else the target aborts with both printed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "daxfs/branches.hpp"
#include "daxfs/error.hpp"
#include "daxfs/overlay.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/validate.hpp"
#include "daxfs_log.h"
#include "ref_view.hpp"
#include "replay_program.hpp"

namespace {

using daxfs_fuzz::Verdict;

[[noreturn]] void diverged(const std::string &what, const std::string &tools,
                           const std::string &ref) {
    std::fprintf(stderr, "fuzz_replay: %s differs\n  tools:     %s\n  reference: %s\n",
                 what.c_str(), tools.c_str(), ref.c_str());
    std::abort();
}

std::string text(const Verdict &v) {
    return v.err ? std::to_string(v.err) + " " + v.msg : std::string("ok");
}

template <typename T> void same(const std::string &what, const T &tools, const T &ref) {
    if (!(tools == ref))
        diverged(what, std::to_string(tools), std::to_string(ref));
}

void same_time(const std::string &what, const daxfs_vtime &a, const daxfs_vtime &b) {
    same(what + ".sec", a.sec, b.sec);
    same(what + ".nsec", a.nsec, b.nsec);
}

// Inode @ino in both views: there or not in both, and the same where the rules read or
// change it (size, parent and base_limit only for the types they are kept for).
void same_inode(const daxfs::Overlay &tools, daxfs_fuzz::RefView &ref, std::uint64_t ino) {
    const daxfs::VNode *t = nullptr;
    try {
        t = &tools.node(ino);
    } catch (const daxfs::Error &) {
    }
    const daxfs_fuzz::RefNode *r = ref.node(ino);
    const std::string at = "inode " + std::to_string(ino);
    if (!t || !r) {
        if (t || r)
            diverged(at, t ? "present" : "absent", r ? "present" : "absent");
        return;
    }
    same(at + " mode", t->mode, r->mode);
    same(at + " uid", t->uid, r->uid);
    same(at + " gid", t->gid, r->gid);
    same(at + " nlink", t->nlink, r->nlink);
    same(at + " rdev", t->rdev, r->rdev);
    same_time(at + " atime", t->atime, r->atime);
    same_time(at + " mtime", t->mtime, r->mtime);
    same_time(at + " ctime", t->ctime, r->ctime);
    if (S_ISREG(t->mode) || S_ISLNK(t->mode))
        same(at + " size", t->size, r->size);
    if (S_ISDIR(t->mode)) {
        same(at + " parent", t->parent, r->parent);
        const auto entries = ref.entries(*r);
        if (t->entries != entries) {
            std::string a, b;
            for (const auto &[n, i] : t->entries)
                a += n + "=" + std::to_string(i) + " ";
            for (const auto &[n, i] : entries)
                b += n + "=" + std::to_string(i) + " ";
            diverged(at + " entries", a, b);
        }
    }
    if (S_ISREG(t->mode)) {
        same(at + " base_limit", t->base_limit, r->base_limit);
        same(at + " page count", t->pages.size(), r->pages.size());
        for (const auto &[index, p] : t->pages) {
            auto it = r->pages.find(index);
            if (it == r->pages.end() || it->second.page != p.page || it->second.slot != p.slot)
                diverged(at + " page " + std::to_string(index),
                         std::to_string(p.page) + "@" + std::to_string(p.slot),
                         it == r->pages.end() ? "none"
                                              : std::to_string(it->second.page) + "@" +
                                                    std::to_string(it->second.slot));
        }
    }
    if (S_ISLNK(t->mode)) {
        same(at + " target page", t->target_page, r->link_src);
        same(at + " target slot", t->target_slot, r->link_slot);
    }
}

// Replay @chain through both views, slot by slot, comparing as it goes; the verdict.
Verdict replay_both(const daxfs::Image &image, const daxfs::BranchTable &table,
                    const std::vector<std::uint32_t> &chain, const daxfs_fuzz::Built &built) {
    daxfs::Overlay tools(image);
    daxfs_fuzz::RefView ref(image.region(), image.geo());
    Verdict verdict;
    for (std::uint32_t slot : chain) {
        Verdict t;
        try {
            tools.replay(table.slot(slot));
        } catch (const daxfs::Error &e) {
            t = {e.code(), e.what()};
        }
        verdict = ref.replay(table.slot(slot));
        if (t != verdict)
            diverged("verdict of slot " + std::to_string(slot), text(t), text(verdict));
        if (verdict.err)
            break;
    }
    // A refused record leaves the view as it was: the trees agree even after an error.
    for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++)
        same_inode(tools, ref, ino);
    for (std::uint64_t ino : built.inodes)
        same_inode(tools, ref, ino);
    return verdict;
}

// What validate_all() answers, computed with both views; the verdict.
Verdict check(const daxfs_fuzz::Built &built) {
    // Shared code (with branches, daxfs_validate_branches() too): nothing to compare.
    const daxfs::Validation v = daxfs::validate_image(built.image);
    if (!v.ok)
        return {v.err, v.message};
    const daxfs::Image image(built.image);
    std::optional<daxfs::BranchTable> table;
    std::vector<std::vector<std::uint32_t>> chains;
    try {
        table.emplace(image);
        chains.push_back(table->main_chain());
        for (const daxfs_br &b : table->slots())
            if (b.state == DAXFS_BRANCH_ACTIVE)
                chains.push_back(table->chain(b.slot));
    } catch (const daxfs::Error &e) {
        return {e.code(), e.what()};
    }
    // validate_all() stops at the first chain refused; every chain is compared here.
    Verdict first;
    for (const auto &chain : chains)
        if (Verdict r = replay_both(image, *table, chain, built); r.err && !first.err)
            first = r;
    return first;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static daxfs_fuzz::Built built;
    daxfs_fuzz::build({data, size}, built);
    // To look at a program's image with the tools (fsck.daxfs, daxfs-inspect), run the
    // target on it with DAXFS_FUZZ_REPLAY_IMAGE=FILE.
    if (const char *path = std::getenv("DAXFS_FUZZ_REPLAY_IMAGE")) {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char *>(built.image.data()),
                  static_cast<std::streamsize>(built.image.size()));
    }
    const Verdict views = check(built);
    std::uint64_t leaked = 0;
    const daxfs::Validation fsck = daxfs::validate_all(built.image, leaked);
    const Verdict theirs = fsck.ok ? Verdict{} : Verdict{fsck.err, fsck.message};
    if (theirs != views)
        diverged("validate_all's verdict", text(theirs), text(views));
    return 0;
}
