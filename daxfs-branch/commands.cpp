// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "commands.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <thread>

#include "daxfs/branch_list.hpp"
#include "daxfs/branches.hpp"
#include "daxfs/diff.hpp"
#include "daxfs/dmabuf.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fd.hpp"
#include "daxfs/fold_report.hpp"
#include "daxfs/main_history.hpp"
#include "daxfs/mounts.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/size.hpp"
#include "daxfs_ioctl.h"

namespace branch {

namespace {

// What mount(2) errors mean for a branch mount.
std::string mount_error(int err, const CreateArgs &a) {
    switch (err) {
    case EEXIST:
        return fmt::format("branch {} exists", a.name);
    case ENOENT:
        if (a.parent.empty())
            return fmt::format("no active branch {}", a.name);
        return fmt::format("no branch {} to create {} under", a.parent, a.name);
    case ESTALE:
        return fmt::format("parent {} is stale: it was aborted or another branch was "
                           "committed over it",
                           a.parent);
    case ENOSPC:
        return "no room: the branch table or the delta region is full";
    case EINVAL:
        return fmt::format("mount refused the options (branch names are 1..{} bytes of "
                           "[A-Za-z0-9._-]; \"main\" is taken)",
                           DAXFS_BRANCH_NAME_MAX);
    case EOPNOTSUPP:
        return "the image has no branches (make it with mkdaxfs -b)";
    case EBUSY:
        if (a.parent.empty())
            return fmt::format("branch {} is mounted already (or {} is busy)", a.name, a.mnt);
        return fmt::format("{} is busy", a.mnt);
    case ENODEV:
        return "the kernel has no daxfs (load the module: insmod daxfs.ko)";
    case EPERM:
    case EACCES:
        return "mounting needs root (CAP_SYS_ADMIN)";
    default:
        return std::strerror(err);
    }
}

// The mount point @mnt opened for an ioctl, or no descriptor when it is an invalidated
// branch, which refuses even the open of its root with ESTALE; other errors are thrown.
daxfs::UniqueFd open_mount(const std::string &mnt) {
    daxfs::UniqueFd fd(::open(mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd && errno != ESTALE)
        daxfs::throw_sys(errno, "cannot open", mnt);
    return fd;
}

// ioctl on a mount point, with the errors every command shares. ESTALE from the open is
// returned like the ioctl's own.
int mount_ioctl(const std::string &mnt, unsigned long req, void *arg) {
    const daxfs::UniqueFd fd = open_mount(mnt);
    if (!fd)
        return ESTALE;
    if (::ioctl(fd.get(), req, arg) == 0)
        return 0;
    const int err = errno;
    if (err == ENOTTY || err == EINVAL)
        throw daxfs::Error(err,
                           fmt::format("'{}' is not a daxfs mount ({})", mnt, std::strerror(err)));
    return err;
}

// DAXFS_IOC_FOLD on the mount at @mnt: 0 or the errno. EINVAL and ENOTTY mean something
// for this ioctl, so whether @mnt is daxfs at all is told by its filesystem type first.
int fold_ioctl(const std::string &mnt, daxfs_ioc_fold &out) {
    const daxfs::UniqueFd fd = open_mount(mnt);
    if (!fd)
        return ESTALE;
    struct statfs sfs;
    if (::fstatfs(fd.get(), &sfs))
        daxfs::throw_sys(errno, "cannot statfs", mnt);
    if (static_cast<std::uint64_t>(sfs.f_type) != DAXFS_SUPER_MAGIC)
        throw daxfs::Error(ENOTTY, fmt::format("'{}' is not a daxfs mount", mnt));
    return ::ioctl(fd.get(), DAXFS_IOC_FOLD, &out) ? errno : 0;
}

// "M /path  (content,mode; 100 -> 4096 bytes)": sizes for files and symlinks only.
std::string change_line(const daxfs::Change &c) {
    const bool sized = S_ISREG(c.mode) || S_ISLNK(c.mode);
    std::string detail;
    for (const auto &what : c.what)
        detail += (detail.empty() ? "" : ",") + what;
    if (c.kind == daxfs::Change::kModified && sized)
        detail = fmt::format("  ({}; {} -> {} bytes)", detail, c.old_size, c.size);
    else if (c.kind == daxfs::Change::kModified)
        detail = fmt::format("  ({})", detail);
    else if (sized)
        detail = fmt::format("  ({} bytes)", c.size);
    const char mark = c.kind == daxfs::Change::kAdded      ? 'A'
                      : c.kind == daxfs::Change::kModified ? 'M'
                                                           : 'D';
    return fmt::format("{} {}{}{}", mark, c.path, S_ISDIR(c.mode) ? "/" : "", detail);
}

} // namespace

namespace {

// The branch of a region in a dma-buf: a descriptor of the buffer from the mount given (or
// the one region mounted), passed to the new mount with fsconfig.
void create_on_dmabuf(const CreateArgs &a, const daxfs::DaxfsMount &from,
                      const std::optional<std::string> &parent) {
    const daxfs::UniqueFd buf = daxfs::mount_dmabuf_fd(from.dir);
    daxfs::MountOptions opts{{"branch", a.name}};
    if (parent)
        opts.emplace_back("parent", *parent);
    try {
        daxfs::mount_dmabuf(buf.get(), a.mnt, opts);
    } catch (const daxfs::Error &e) {
        throw daxfs::Error(e.code(),
                           fmt::format("cannot {} branch {}: {} ({})", parent ? "create" : "mount",
                                       a.name, mount_error(e.code(), a), e.what()));
    }
}

} // namespace

int cmd_create(const CreateArgs &a) {
    std::optional<daxfs::DaxfsMount> from;
    if (a.region.phys.empty() && a.region.dax.empty())
        from = a.region.mounted();
    struct stat st;
    if (::stat(a.mnt.c_str(), &st))
        daxfs::throw_sys(errno, "cannot use mount point", a.mnt);
    if (!S_ISDIR(st.st_mode))
        throw daxfs::Error(ENOTDIR, fmt::format("mount point '{}' is not a directory", a.mnt));
    const std::optional<std::string> parent =
        a.parent.empty() ? std::nullopt : std::optional<std::string>(a.parent);
    if (from && from->dmabuf) {
        create_on_dmabuf(a, *from, parent);
        return 0;
    }
    const daxfs::RegionMount base = a.region.mount_base();
    const std::string opts = daxfs::branch_mount_options(base, a.name, parent);
    if (::mount(base.source.c_str(), a.mnt.c_str(), "daxfs", 0, opts.c_str()))
        throw daxfs::Error(errno,
                           fmt::format("cannot {} branch {}: {}", parent ? "create" : "mount",
                                       a.name, mount_error(errno, a)));
    return 0;
}

int cmd_commit(const std::string &mnt) {
    const int err = mount_ioctl(mnt, DAXFS_IOC_COMMIT, nullptr);
    switch (err) {
    case 0:
        return 0;
    case ESTALE:
        throw daxfs::Error(ESTALE, "commit lost: another branch was committed first, or this "
                                   "branch or an ancestor was aborted (the kernel log says "
                                   "which)");
    case EROFS:
        throw daxfs::Error(EROFS, fmt::format("'{}' is main (or already committed): nothing "
                                              "to commit",
                                              mnt));
    default:
        daxfs::throw_sys(err, "cannot commit", mnt);
    }
}

int cmd_abort(const std::string &mnt) {
    const int err = mount_ioctl(mnt, DAXFS_IOC_ABORT, nullptr);
    switch (err) {
    case 0:
        return 0;
    case ESTALE:
        throw daxfs::Error(ESTALE, fmt::format("'{}' is already invalid (aborted, or another "
                                               "branch was committed)",
                                               mnt));
    case EROFS:
        throw daxfs::Error(EROFS, fmt::format("'{}' is main: nothing to abort", mnt));
    default:
        daxfs::throw_sys(err, "cannot abort", mnt);
    }
}

int cmd_info(const std::string &mnt, bool json) {
    daxfs_ioc_info info{};
    const int err = mount_ioctl(mnt, DAXFS_IOC_INFO, &info);
    if (err == ESTALE)
        throw daxfs::Error(ESTALE, fmt::format("'{}' is invalid (aborted, or another branch was "
                                               "committed): unmount it",
                                               mnt));
    if (err)
        daxfs::throw_sys(err, "cannot get branch info of", mnt);
    info.name[sizeof(info.name) - 1] = '\0';
    const std::string state = daxfs::branch_state_name(info.state);
    if (json) {
        const nlohmann::json j = {{"name", info.name},
                                  {"slot", info.slot},
                                  {"state", state},
                                  {"generation", info.generation},
                                  {"parent", info.parent},
                                  {"dead", info.dead != 0},
                                  {"commit_seq", info.commit_seq},
                                  {"phys", info.phys},
                                  {"size", info.size},
                                  {"delta_pages", info.delta_pages},
                                  {"free_pages", info.free_pages}};
        fmt::print("{}\n", j.dump());
        return 0;
    }
    fmt::print("branch:      {} (slot {}, generation {})\n"
               "state:       {}{}\n"
               "parent:      slot {}\n"
               "commit_seq:  {}\n"
               "region:      phys=0x{:x},size={}\n"
               "delta:       {} pages, {} free ({})\n",
               info.name, info.slot, info.generation, state,
               info.dead ? " (invalid: file operations return ESTALE until unmounted)" : "",
               info.parent, info.commit_seq, info.phys, info.size, info.delta_pages,
               info.free_pages, daxfs::human_bytes(info.free_pages * DAXFS_BLOCK_SIZE));
    return 0;
}

namespace {

// The free delta pages the mount at MNT sees; nullopt if it cannot tell.
std::optional<std::uint64_t> free_pages_of(const std::string &mnt) {
    daxfs_ioc_info info{};
    const daxfs::UniqueFd fd = open_mount(mnt);
    if (!fd || ::ioctl(fd.get(), DAXFS_IOC_INFO, &info))
        return std::nullopt;
    return info.free_pages;
}

} // namespace

int cmd_gc(const std::string &mnt, bool json) {
    daxfs_ioc_fold f{};
    // Another mount's periodic look may free what this fold left (its counts then say 0):
    // the free pages before and after tell what the region gained either way.
    const auto before = free_pages_of(mnt);
    if (const int err = fold_ioctl(mnt, f))
        throw daxfs::Error(err, daxfs::fold_error(err, mnt));
    const auto after = free_pages_of(mnt);
    if (json) {
        nlohmann::json j = daxfs::fold_json(f);
        if (before && after) {
            j["free_pages_before"] = *before;
            j["free_pages_after"] = *after;
        }
        fmt::print("{}\n", j.dump());
        return 0;
    }
    fmt::print("{}", daxfs::fold_text(f));
    if (before && after)
        fmt::print("free delta pages: {} before, {} after ({})\n", *before, *after,
                   daxfs::human_bytes(*after * DAXFS_BLOCK_SIZE));
    return 0;
}

int cmd_list(const Where &w, bool json, bool watch) {
    const daxfs::Image image = w.open();
    const daxfs::BranchTable table(image);
    std::vector<daxfs::BranchRow> rows;
    if (watch) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(DAXFS_LEASE_NS));
        const daxfs::Image again = w.open();
        const daxfs::BranchTable later(again);
        rows = daxfs::list_branches(table, &later);
    } else {
        rows = daxfs::list_branches(table);
    }
    // Main's history goes with main's row (the first), so the array stays one of rows.
    const daxfs::MainHistory history = daxfs::main_history(table);
    if (json) {
        nlohmann::json j = daxfs::branches_json(rows);
        if (!rows.empty() && rows[0].slot == DAXFS_MAIN_SLOT)
            j[0]["history"] = daxfs::history_json(history);
        fmt::print("{}\n", j.dump());
    } else {
        fmt::print("{}history: {}\n", daxfs::branches_table(rows), daxfs::history_text(history));
    }
    return 0;
}

int cmd_diff(const Where &w, std::string name, bool json) {
    if (name.empty())
        name = daxfs::mount_at(w.mount).branch;
    const daxfs::Image image = w.open();
    const auto changes = daxfs::diff_branch(image, name);
    if (json) {
        fmt::print("{}\n", daxfs::changes_json(changes).dump());
        return 0;
    }
    for (const daxfs::Change &c : changes)
        fmt::print("{}\n", change_line(c));
    return 0;
}

} // namespace branch
