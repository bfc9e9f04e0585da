// SPDX-License-Identifier: GPL-2.0 OR MIT
// Long histories (issue 12): commits in a loop with each DAXFS_IOC_COMMIT timed, the mount
// time of two images, and DAXFS_IOC_FOLD with what it did.
#include "bench.hpp"

#include "../../include/daxfs_ioctl.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bench {
namespace {

namespace fs = std::filesystem;

std::string fmt(const char *f, double v) {
    char b[64];
    std::snprintf(b, sizeof(b), f, v);
    return b;
}

std::string ms(std::int64_t ns) { return fmt("%.3f", static_cast<double>(ns) / 1e6); }

std::int64_t do_mount(const std::string &opts, const fs::path &at) {
    const std::int64_t t0 = now_ns();
    if (::mount("none", at.c_str(), "daxfs", 0, opts.c_str()) != 0)
        throw Error(errno_msg("mount -t daxfs -o " + opts + " " + at.string()));
    return now_ns() - t0;
}

std::int64_t do_umount(const fs::path &at) {
    const std::int64_t t0 = now_ns();
    if (::umount(at.c_str()) != 0)
        throw Error(errno_msg("umount " + at.string()));
    return now_ns() - t0;
}

daxfs_ioc_info info(const fs::path &mnt) {
    Fd dir(mnt, O_RDONLY | O_DIRECTORY);
    daxfs_ioc_info i{};
    if (::ioctl(dir.get(), DAXFS_IOC_INFO, &i) != 0)
        throw Error(errno_msg("DAXFS_IOC_INFO on " + mnt.string()));
    return i;
}

// Delta pages in use: all of them but the free ones and the owner table's own.
std::uint64_t used_pages(const daxfs_ioc_info &i) {
    return i.delta_pages - (i.delta_pages * 4 + 4095) / 4096 - i.free_pages;
}

// The regular files of the tree under ROOT (not the hard-linked ones): the small ones
// (below 64 KiB) are rewritten whole, the large ones (1 MiB or more) a page at a time.
struct Files {
    std::vector<std::pair<std::string, std::uint64_t>> small, large;
};

Files pick_files(const fs::path &root) {
    Files f;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::end(it); ++it) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0)
            throw Error(errno_msg("lstat " + it->path().string()));
        if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
            continue;
        const std::string rel = fs::relative(it->path(), root).string();
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (size > 0 && size < (64 << 10))
            f.small.emplace_back(rel, size);
        else if (size >= (1 << 20))
            f.large.emplace_back(rel, size);
    }
    std::sort(f.small.begin(), f.small.end());
    std::sort(f.large.begin(), f.large.end());
    if (f.small.empty() || f.large.empty())
        throw Error("no small (< 64 KiB) or no large (>= 1 MiB) file under " + root.string());
    return f;
}

void write_at(const fs::path &p, const std::vector<char> &buf, std::size_t len, off_t off,
              bool trunc) {
    Fd f(p, O_WRONLY | (trunc ? O_TRUNC : 0));
    if (::pwrite(f.get(), buf.data(), len, off) != static_cast<ssize_t>(len))
        throw Error(errno_msg("write " + p.string()));
}

std::int64_t median_of(const std::vector<std::int64_t> &v, std::size_t from, std::size_t to) {
    return median(std::vector<std::int64_t>(v.begin() + static_cast<long>(from),
                                            v.begin() + static_cast<long>(to)));
}

std::int64_t percentile(std::vector<std::int64_t> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[i];
}

// DAXFS_IOC_FOLD on MNT, and the free delta pages before and after it.
struct FoldRun {
    daxfs_ioc_fold st{};
    std::uint64_t free_before = 0, free_after = 0;
};

FoldRun fold_now(const fs::path &mnt) {
    FoldRun r;
    r.free_before = info(mnt).free_pages;
    {
        Fd dir(mnt, O_RDONLY | O_DIRECTORY);
        if (::ioctl(dir.get(), DAXFS_IOC_FOLD, &r.st) != 0)
            throw Error(errno_msg("DAXFS_IOC_FOLD on " + mnt.string()));
    }
    r.free_after = info(mnt).free_pages;
    return r;
}

std::string mib(std::uint64_t pages) { return fmt("%.1f", static_cast<double>(pages) / 256.0); }

// The pages given back are the free pages gained plus the new fold's log pages; they are
// shown besides the ioctl's own count, which misses what another context of the kernel
// (a mount's periodic look) freed of this fold between its steps.
void print_fold(std::ostream &out, const std::string &what, const FoldRun &r) {
    const daxfs_ioc_fold &st = r.st;
    const auto released = static_cast<std::int64_t>(r.free_after + st.log_pages) -
                          static_cast<std::int64_t>(r.free_before);
    out << what << ": " << ms(static_cast<std::int64_t>(st.ns)) << " ms (in the kernel)\n"
        << "  the ioctl's count: " << st.pages_freed << " delta pages freed ("
        << mib(st.pages_freed) << " MiB), " << st.slots_freed << " slots freed"
        << (st.pending ? " (part of it waits for a reader)" : "") << "\n"
        << "  free delta pages " << r.free_before << " before, " << r.free_after
        << " after: " << released << " pages freed ("
        << mib(released > 0 ? static_cast<std::uint64_t>(released) : 0)
        << " MiB: the free pages gained, plus the " << st.log_pages
        << " log pages the new fold took)\n"
        << "  the new fold's log (slot " << st.fold_slot << "): " << st.records << " records in "
        << st.log_pages << " log pages\n";
}

} // namespace

void run_commits(std::ostream &out, const CommitOptions &o) {
    const Files files = pick_files(o.main);
    std::mt19937_64 rng(o.seed);
    std::vector<char> buf(64 << 10);
    const fs::path b = o.work / "b";
    fs::create_directories(b);
    const std::string opts = "phys=" + o.phys + ",size=" + o.size + ",parent=main,branch=";

    for (const std::string &l : o.headers)
        out << l << "\n";
    if (o.fold_first)
        print_fold(out, "fold before the commits (DAXFS_IOC_FOLD on main)", fold_now(o.main));
    const std::uint64_t used0 = used_pages(info(o.main));
    std::vector<std::int64_t> create, commit, umnt;
    const std::int64_t t0 = now_ns();
    for (std::uint64_t c = 1; c <= o.commits; c++) {
        create.push_back(do_mount(opts + o.prefix + std::to_string(c), b));
        for (unsigned k = 0; k < o.rewrites; k++) {
            const auto &[rel, size] = files.small[rng() % files.small.size()];
            for (std::size_t i = 0; i < size; i += 8)
                buf[i] = static_cast<char>(rng());
            write_at(b / rel, buf, size, 0, true);
        }
        const auto &[rel, size] = files.large[rng() % files.large.size()];
        const std::uint64_t page = rng() % (size / 4096);
        buf[0] = static_cast<char>(c);
        write_at(b / rel, buf, 4096, static_cast<off_t>(page * 4096), false);
        {
            Fd dir(b, O_RDONLY | O_DIRECTORY);
            const std::int64_t s = now_ns();
            if (::ioctl(dir.get(), DAXFS_IOC_COMMIT) != 0)
                throw Error(errno_msg("DAXFS_IOC_COMMIT, commit " + std::to_string(c)));
            commit.push_back(now_ns() - s);
        }
        umnt.push_back(do_umount(b));
        if (o.progress && c % o.progress == 0)
            std::fprintf(stderr, "daxfs-bench: commit %llu, last commit %s ms\n",
                         static_cast<unsigned long long>(c), ms(commit.back()).c_str());
    }
    const std::int64_t total = now_ns() - t0;
    const std::uint64_t used1 = used_pages(info(o.main));

    out << o.commits << " commits in " << fmt("%.1f", static_cast<double>(total) / 1e9)
        << " s; each: mount of a branch of main, " << o.rewrites
        << " small files rewritten whole and one 4 KiB page of a large file, DAXFS_IOC_COMMIT, "
           "umount (files chosen at random from "
        << files.small.size() << " small and " << files.large.size() << " large files)\n";
    out << "delta pages in use: " << used0 << " before, " << used1 << " after\n";
    const std::size_t n = commit.size();
    if (n >= 20) {
        const std::size_t lo = std::min<std::size_t>(4, n), hi = std::min<std::size_t>(15, n);
        const std::int64_t early = median_of(commit, lo, hi), late = median_of(commit, n - 10, n);
        out << "commit time (DAXFS_IOC_COMMIT, ms; a commit that folds on its own includes the "
               "fold)\n";
        out << "  around commit 10 (median of commits 5..15):       " << ms(early) << "\n";
        out << "  around commit " << n << " (median of the last 10):     " << ms(late) << "\n";
        out << "  ratio = commit 10 time / commit " << n << " time:      "
            << fmt("%.2f", late > 0 ? static_cast<double>(early) / static_cast<double>(late) : 0)
            << " (1.00: the same; below 1 late commits are slower)\n";
        out << "  all commits: median " << ms(median(commit)) << ", p90 "
            << ms(percentile(commit, 0.9)) << ", p99 " << ms(percentile(commit, 0.99)) << ", max "
            << ms(percentile(commit, 1.0)) << "\n";
        out << "  median of each tenth:";
        for (std::size_t t = 0; t < 10; t++)
            out << " " << ms(median_of(commit, n * t / 10, n * (t + 1) / 10));
        out << "\n";
        out << "branch mount (create): median " << ms(median(create)) << " ms, first 10 "
            << ms(median_of(create, 0, 10)) << ", last 10 " << ms(median_of(create, n - 10, n))
            << "; umount: median " << ms(median(umnt)) << " ms\n";
        // A branch mount replays main's view: whether that grows with the history shows
        // here, tenth by tenth (the first tenth starts from the image as mkdaxfs wrote it).
        out << "  branch mount (create), median of each tenth:";
        for (std::size_t t = 0; t < 10; t++)
            out << " " << ms(median_of(create, n * t / 10, n * (t + 1) / 10));
        out << "\n";
    } else {
        out << "commit time (ms): median " << ms(median(commit)) << ", max "
            << ms(percentile(commit, 1.0)) << "\n";
    }
    if (o.fold_last)
        print_fold(out,
                   "fold after " + std::to_string(o.commits) +
                       (o.fold_first ? " commits since a fold" : " commits") +
                       " (DAXFS_IOC_FOLD on main)",
                   fold_now(o.main));
    if (!o.tsv.empty()) {
        FILE *f = std::fopen(o.tsv.c_str(), "w");
        if (!f)
            throw Error(errno_msg("open " + o.tsv));
        std::fprintf(f, "commit\tcreate_ns\tcommit_ns\tumount_ns\n");
        for (std::size_t i = 0; i < n; i++)
            std::fprintf(f, "%zu\t%lld\t%lld\t%lld\n", i + 1, static_cast<long long>(create[i]),
                         static_cast<long long>(commit[i]), static_cast<long long>(umnt[i]));
        if (std::fclose(f) != 0)
            throw Error(errno_msg("write " + o.tsv));
    }
}

std::vector<Result> run_mount_times(const MountOptions &o) {
    Result m{"mount", "mount(2) of main", "kop/s", 0.001, {}, {}, {}};
    Result u{"umount", "umount(2) of main", "kop/s", 0.001, {}, {}, {}};
    for (const std::string *opts : {&o.base_opts, &o.subject_opts}) { // untimed, once each
        do_mount(*opts, o.mnt);
        do_umount(o.mnt);
    }
    for (int rep = 0; rep < o.reps; rep++) {
        for (int k = 0; k < 2; k++) {
            const bool base = (rep + k) % 2 == 0;
            const std::int64_t mt = do_mount(base ? o.base_opts : o.subject_opts, o.mnt);
            const std::int64_t ut = do_umount(o.mnt);
            (base ? m.base_ns : m.subject_ns).push_back(mt);
            (base ? u.base_ns : u.subject_ns).push_back(ut);
        }
    }
    return {m, u};
}

} // namespace bench
