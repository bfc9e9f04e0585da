// SPDX-License-Identifier: GPL-2.0 OR MIT
// Branch operations timed from userspace: creating a branch (its mount), committing and
// aborting it with the DAXFS ioctls, for small and large amounts of change; and the first
// write to a large file in a branch against overlayfs's copy-up of the same file.
#include "bench.hpp"

#include "../../include/daxfs_ioctl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace bench {
namespace {

std::int64_t mount_branch(const BranchOptions &o, const std::string &name) {
    const std::string opts =
        "phys=" + o.phys + ",size=" + o.size + ",branch=" + name + ",parent=main";
    const std::int64_t t0 = now_ns();
    if (::mount("none", o.mnt.c_str(), "daxfs", 0, opts.c_str()) != 0)
        throw Error(errno_msg("mount -o " + opts));
    return now_ns() - t0;
}

std::int64_t umount_at(const std::filesystem::path &mnt) {
    const std::int64_t t0 = now_ns();
    if (::umount(mnt.c_str()) != 0)
        throw Error(errno_msg("umount " + mnt.string()));
    return now_ns() - t0;
}

std::int64_t branch_ioctl(const std::filesystem::path &mnt, unsigned long cmd, const char *what) {
    Fd dir(mnt, O_RDONLY | O_DIRECTORY);
    const std::int64_t t0 = now_ns();
    if (::ioctl(dir.get(), cmd) != 0)
        throw Error(errno_msg(std::string(what) + " of the branch at " + mnt.string()));
    return now_ns() - t0;
}

// Writes MIB MiB of new data into the branch (1 MiB pwrites into one new file).
void fill(const std::filesystem::path &mnt, std::uint64_t mib) {
    std::vector<char> buf(1 << 20, 'x');
    Fd f(mnt / "bench-change", O_WRONLY | O_CREAT | O_TRUNC);
    for (std::uint64_t i = 0; i < mib; i++) {
        buf[0] = static_cast<char>(i);
        if (::pwrite(f.get(), buf.data(), buf.size(), static_cast<off_t>(i << 20)) !=
            static_cast<ssize_t>(buf.size()))
            throw Error(errno_msg("write " + (mnt / "bench-change").string()));
    }
}

// open + one 4 KiB pwrite at offset 0 + close: a copy-up of the whole file in overlayfs, a
// copy of one page into the branch in DAXFS.
std::int64_t first_write(const std::filesystem::path &file) {
    std::vector<char> buf(4096, 'y');
    const std::int64_t t0 = now_ns();
    {
        Fd f(file, O_WRONLY);
        if (::pwrite(f.get(), buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size()))
            throw Error(errno_msg("pwrite " + file.string()));
    }
    return now_ns() - t0;
}

std::string ms(std::int64_t ns) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(3) << static_cast<double>(ns) / 1e6;
    return s.str();
}

} // namespace

void run_branch_ops(std::ostream &out, const BranchOptions &o, std::vector<Result> &copyup) {
    out << "branch operations (median of the samples, ms; the region is shared by all)\n";
    out << std::left << std::setw(10) << "change" << std::setw(9) << "samples" << std::right
        << std::setw(12) << "create" << std::setw(12) << "commit" << std::setw(12) << "abort"
        << std::setw(16) << "umount+reclaim"
        << "\n";
    std::int64_t commit_small = 0, commit_large = 0;
    int serial = 0;
    for (const std::uint64_t mib : o.sizes_mib) {
        // Commits make their data part of main for good: fewer large ones.
        const int reps = mib >= 64 ? std::min(o.reps, 2) : o.reps;
        std::vector<std::int64_t> create, commit, abort, reclaim;
        for (int rep = 0; rep < reps; rep++) {
            create.push_back(mount_branch(o, "bench-" + std::to_string(serial++)));
            fill(o.mnt, mib);
            commit.push_back(branch_ioctl(o.mnt, DAXFS_IOC_COMMIT, "commit"));
            umount_at(o.mnt);

            create.push_back(mount_branch(o, "bench-" + std::to_string(serial++)));
            fill(o.mnt, mib);
            abort.push_back(branch_ioctl(o.mnt, DAXFS_IOC_ABORT, "abort"));
            reclaim.push_back(umount_at(o.mnt));
        }
        const std::int64_t c = median(commit);
        if (mib == o.sizes_mib.front())
            commit_small = c;
        commit_large = c;
        out << std::left << std::setw(10) << (std::to_string(mib) + " MiB") << std::setw(9) << reps
            << std::right << std::setw(12) << ms(median(create)) << std::setw(12) << ms(c)
            << std::setw(12) << ms(median(abort)) << std::setw(16) << ms(median(reclaim)) << "\n";
    }
    if (commit_small > 0)
        out << "commit time, largest change / smallest: " << std::fixed << std::setprecision(2)
            << static_cast<double>(commit_large) / static_cast<double>(commit_small)
            << " (constant-cost commit: about 1)\n";
    out << "\n";

    Result r{"first-write-large-file",
             o.file + ", 4 KiB at offset 0",
             "kop/s",
             0.001,
             {},
             {},
             "overlayfs copies the whole file up on the first write; a DAXFS branch copies one "
             "page"};
    for (int rep = 0; rep < o.reps; rep++) {
        const std::filesystem::path upper = o.scratch / ("upper" + std::to_string(rep));
        const std::filesystem::path work = o.scratch / ("work" + std::to_string(rep));
        std::filesystem::create_directories(upper);
        std::filesystem::create_directories(work);
        const std::string opts = "lowerdir=" + o.lower.string() + ",upperdir=" + upper.string() +
                                 ",workdir=" + work.string();
        if (::mount("overlay", o.mnt.c_str(), "overlay", 0, opts.c_str()) != 0)
            throw Error(errno_msg("mount -t overlay -o " + opts));
        r.base_ns.push_back(first_write(o.mnt / o.file));
        umount_at(o.mnt);
        std::filesystem::remove_all(upper);
        std::filesystem::remove_all(work);

        mount_branch(o, "bench-" + std::to_string(serial++));
        r.subject_ns.push_back(first_write(o.mnt / o.file));
        branch_ioctl(o.mnt, DAXFS_IOC_ABORT, "abort");
        umount_at(o.mnt);
    }
    copyup.push_back(std::move(r));
}

} // namespace bench
