// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "commands.hpp"

#include <cerrno>
#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfs/branch_list.hpp"
#include "daxfs/branches.hpp"
#include "daxfs/discover.hpp"
#include "daxfs/error.hpp"
#include "daxfs/extract.hpp"
#include "daxfs/main_history.hpp"
#include "daxfs/record_text.hpp"
#include "daxfs/summary.hpp"
#include "daxfs/validate.hpp"
#include "describe.hpp"
#include "devices.hpp"

namespace inspect {

namespace {

nlohmann::json branches_info(const daxfs::Image &image) {
    const daxfs_geo &g = image.geo();
    const daxfs::BranchTable t(image);
    const daxfs_live_words &l = t.live();
    return {{"delta_off", g.delta_off},
            {"delta_pages", g.delta_pages},
            {"meta_pages", g.meta_pages},
            {"free_pages", l.free_pages},
            {"main_head",
             {{"slot", DAXFS_HEAD_SLOT(l.main_head)}, {"generation", DAXFS_HEAD_GEN(l.main_head)}}},
            {"commit_seq", l.commit_seq},
            {"next_ino", l.next_ino},
            {"fold_head",
             {{"slot", DAXFS_HEAD_SLOT(l.fold_head)}, {"generation", DAXFS_HEAD_GEN(l.fold_head)}}},
            {"history", daxfs::history_json(daxfs::main_history(t))},
            {"list", daxfs::branches_json(daxfs::list_branches(t))}};
}

// Regular files of the base image of DAXFS_HUGE_SIZE bytes or more, and how many of them
// start on a DAXFS_HUGE_SIZE boundary (mkdaxfs places them so unless --no-huge-align).
struct HugeFiles {
    std::uint64_t count = 0;
    std::uint64_t aligned = 0;
};

HugeFiles count_huge_files(const daxfs::Image &image) {
    HugeFiles h;
    for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++) {
        const daxfs_ino in = image.inode(ino);
        if (!S_ISREG(in.mode) || in.size < DAXFS_HUGE_SIZE)
            continue;
        h.count++;
        if (in.data % DAXFS_HUGE_SIZE == 0)
            h.aligned++;
    }
    return h;
}

} // namespace

int cmd_check(const SourceSpec &src, bool json) {
    Source source(src);
    std::uint64_t leaked = 0;
    const daxfs::Validation v = daxfs::validate_all(source.bytes(), leaked);
    if (json) {
        nlohmann::json j = {{"ok", v.ok}, {"errno", v.err}, {"error", errno_name(v.err)}};
        if (!v.ok)
            j["message"] = v.message;
        else
            j["leaked_pages"] = leaked;
        fmt::print("{}\n", j.dump());
    } else if (v.ok) {
        fmt::print("OK\n");
        if (leaked)
            fmt::print("{} leaked delta pages (owned by a branch, named by nothing)\n", leaked);
    } else {
        fmt::print("{}: {} ({})\n", src.name(), v.message, errno_name(v.err));
    }
    return v.ok ? 0 : 1;
}

int cmd_info(const SourceSpec &src, bool json) {
    Source source(src);
    const daxfs::Image image = source.image();
    const daxfs_geo &g = image.geo();
    const daxfs::Counts c = daxfs::count_image(image);
    const HugeFiles huge = count_huge_files(image);
    if (json) {
        nlohmann::json j = {{"region_bytes", g.region_size},
                            {"image_bytes", g.image_size},
                            {"inode_off", g.inode_off},
                            {"inode_count", g.inode_count},
                            {"data_off", g.data_off},
                            {"data_bytes", g.data_end - g.data_off},
                            {"uuid", uuid_string(g.uuid)},
                            {"feature_compat", g.feature_compat},
                            {"feature_ro_compat", g.feature_ro_compat},
                            {"feature_incompat", g.feature_incompat},
                            {"block_size", DAXFS_BLOCK_SIZE},
                            {"version", DAXFS_VERSION},
                            {"counts", daxfs::counts_json(c)},
                            {"huge_files", {{"count", huge.count}, {"aligned", huge.aligned}}}};
        if (daxfs::has_branches(image))
            j["branches"] = branches_info(image);
        fmt::print("{}\n", j.dump(2));
        return 0;
    }
    fmt::print("source:       {}\n"
               "format:       DAXFS v{}, block size {}\n"
               "uuid:         {}\n"
               "features:     compat 0x{:x}, ro_compat 0x{:x}, incompat 0x{:x}\n"
               "image:        {} bytes in a region of {} bytes\n"
               "inode table:  {} inodes at {}\n"
               "data area:    {} bytes at {}\n"
               "contents:     {} files ({} bytes), {} directories, {} symlinks, "
               "{} special files, {} extra hard links\n"
               "huge files:   {} of 2 MiB or more, {} of them 2 MiB aligned\n",
               src.name(), DAXFS_VERSION, DAXFS_BLOCK_SIZE, uuid_string(g.uuid), g.feature_compat,
               g.feature_ro_compat, g.feature_incompat, g.image_size, g.region_size, g.inode_count,
               g.inode_off, g.data_end - g.data_off, g.data_off, c.files, c.data_bytes, c.dirs,
               c.symlinks, c.specials, c.hardlinks, huge.count, huge.aligned);
    if (daxfs::has_branches(image)) {
        const daxfs::BranchTable t(image);
        fmt::print("delta region: {} pages at {}, {} free; main_head slot {} generation {}, "
                   "commit_seq {}, next_ino {}\n",
                   g.delta_pages, g.delta_off, t.live().free_pages,
                   DAXFS_HEAD_SLOT(t.live().main_head), DAXFS_HEAD_GEN(t.live().main_head),
                   t.live().commit_seq, t.live().next_ino);
        fmt::print("history:      {}\n", daxfs::history_text(daxfs::main_history(t)));
        if (g.feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD) {
            const std::uint64_t fold = t.live().fold_head;
            std::uint32_t folded = 0;
            for (std::uint32_t s = 1; s < DAXFS_BRANCH_COUNT; s++)
                folded += t.folded(s);
            fmt::print("fold:         head slot {} generation {}, fold_need {}, "
                       "folded slots {}\n",
                       fold ? std::to_string(DAXFS_HEAD_SLOT(fold)) : "-",
                       fold ? std::to_string(DAXFS_HEAD_GEN(fold)) : "-", t.live().fold_need,
                       folded);
        }
        fmt::print("branches:\n{}", daxfs::branches_table(daxfs::list_branches(t)));
    }
    return 0;
}

int cmd_ls(const SourceSpec &src, const std::string &branch, const std::string &path,
           bool long_format) {
    Source source(src);
    const daxfs::Image image = source.view(branch);
    const daxfs_ino in = image.lookup(path);
    if (!S_ISDIR(in.mode)) {
        fmt::print("{}\n", long_format ? long_line(image, in, path) : path);
        return 0;
    }
    const std::uint64_t count = image.entry_count(in);
    for (std::uint64_t i = 0; i < count; i++) {
        const daxfs::Dirent de = image.entry(in, i);
        if (long_format)
            fmt::print("{}\n", long_line(image, image.child(de), de.name));
        else
            fmt::print("{}\n", de.name);
    }
    return 0;
}

int cmd_cat(const SourceSpec &src, const std::string &branch, const std::string &path) {
    Source source(src);
    const daxfs::Image image = source.view(branch);
    const daxfs_ino in = image.lookup(path);
    if (S_ISDIR(in.mode))
        throw daxfs::Error(EISDIR, fmt::format("'{}': Is a directory", path));
    if (!S_ISREG(in.mode))
        throw daxfs::Error(EINVAL, fmt::format("'{}': not a regular file", path));
    auto data = image.file_data(in);
    std::fflush(stdout);
    while (!data.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            daxfs::throw_sys(errno, "cannot write", "stdout");
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
    return 0;
}

int cmd_stat(const SourceSpec &src, const std::string &branch, const std::string &path, bool json) {
    Source source(src);
    const daxfs::Image image = source.view(branch);
    const daxfs_ino in = image.lookup(path);
    nlohmann::json j = inode_json(image, in);
    j["path"] = path;
    if (json) {
        fmt::print("{}\n", j.dump(2));
        return 0;
    }
    fmt::print("  path: {}\n", path);
    for (auto &[key, value] : j.items())
        if (key != "path")
            fmt::print("{:>6}: {}\n", key,
                       value.is_string() ? value.get<std::string>() : value.dump());
    return 0;
}

int cmd_extract(const SourceSpec &src, const std::string &branch, const std::string &dir) {
    Source source(src);
    int skipped = 0;
    daxfs::ExtractOptions opts;
    opts.warn = [&skipped](const std::string &msg) {
        fmt::print(stderr, "daxfs-inspect: {}\n", msg);
        skipped++;
    };
    daxfs::extract_image(source.view(branch), dir, opts);
    return skipped ? 1 : 0;
}

int cmd_log(const SourceSpec &src, const std::string &branch, bool json) {
    Source source(src);
    const daxfs::Image image = source.image();
    const daxfs::BranchTable table(image);
    const std::vector<std::uint32_t> chain =
        branch == "main" ? table.main_chain() : table.chain(table.find(branch).slot);
    nlohmann::json all = nlohmann::json::array();
    for (std::uint32_t slot : chain) {
        const daxfs_br &b = table.slot(slot);
        if (!json)
            fmt::print("slot {} '{}' ({}, generation {}):\n", slot, b.name,
                       daxfs::branch_state_name(b.state), b.generation);
        daxfs::for_each_record(image, b, [&](const daxfs_lrec &r) {
            if (json) {
                nlohmann::json j = daxfs::record_json(r);
                j["slot"] = slot;
                all.push_back(j);
            } else {
                fmt::print("  {}\n", daxfs::record_text(r));
            }
        });
    }
    if (json)
        fmt::print("{}\n", all.dump());
    return 0;
}

int cmd_devices(bool json) {
    const Inventory inv = take_inventory();
    if (json)
        fmt::print("{}\n", inventory_json(inv).dump(2));
    else
        fmt::print("{}", inventory_text(inv));
    return 0;
}

} // namespace inspect
