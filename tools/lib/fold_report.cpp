// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/fold_report.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "daxfs/size.hpp"
#include "daxfs_format.h"

namespace daxfs {

namespace {

// 4096 -> "4,096".
std::string grouped(std::uint64_t n) {
    std::string digits = fmt::format("{}", n), out;
    for (std::size_t i = 0; i < digits.size(); i++) {
        if (i && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string plural(std::uint64_t n, const char *one, const char *many) {
    return fmt::format("{} {}", grouped(n), n == 1 ? one : many);
}

std::string duration(std::uint64_t ns) {
    if (ns >= 1000000000)
        return fmt::format("{:.2f} s", static_cast<double>(ns) / 1e9);
    return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6);
}

std::string freed(const daxfs_ioc_fold &f) {
    return fmt::format("freed {}, {} ({})", plural(f.slots_freed, "slot", "slots"),
                       plural(f.pages_freed, "page", "pages"),
                       human_bytes(f.pages_freed * DAXFS_BLOCK_SIZE));
}

} // namespace

std::string fold_text(const daxfs_ioc_fold &f) {
    std::string out;
    if (f.fold_slot)
        out = fmt::format("folded main into slot {}: {}, {}; {} in {}\n", f.fold_slot,
                          plural(f.records, "record", "records"),
                          plural(f.log_pages, "log page", "log pages"), freed(f), duration(f.ns));
    else if (f.slots_freed || f.pages_freed)
        out = fmt::format("nothing to fold (no commit since the last fold); {} of earlier "
                          "folded history in {}\n",
                          freed(f), duration(f.ns));
    else
        out = "nothing to fold: main has no commit since the last fold\n";
    if (f.runs)
        out += fmt::format("moved {} of files ({}) into aligned 2 MiB runs\n",
                           plural(f.runs, "scattered part", "scattered parts"),
                           human_bytes(std::uint64_t{f.runs} << 21));
    if (f.pending)
        out += "the rest of the folded history is freed once every mount has seen the fold "
               "(within about a second of each mount's periodic look)\n";
    return out;
}

nlohmann::json fold_json(const daxfs_ioc_fold &f) {
    return {{"fold_slot", f.fold_slot},
            {"slots_freed", f.slots_freed},
            {"records", f.records},
            {"log_pages", f.log_pages},
            {"pages_freed", f.pages_freed},
            {"bytes_freed", f.pages_freed * DAXFS_BLOCK_SIZE},
            {"runs", f.runs},
            {"pending", f.pending != 0},
            {"ns", f.ns}};
}

std::string fold_error(int err, const std::string &mnt) {
    switch (err) {
    case EINVAL:
        return fmt::format("'{}' is a writable branch: gc runs on a mount of main (or a "
                           "committed branch)",
                           mnt);
    case EOPNOTSUPP:
        return "the image was made without folding (an older mkdaxfs): rebuild it with "
               "mkdaxfs --from to fold";
    case ESTALE:
        return fmt::format("'{}' is invalid (aborted, or another branch was committed over "
                           "it): unmount it and run gc on a mount of main",
                           mnt);
    case EPERM:
    case EACCES:
        return "gc needs root (CAP_SYS_ADMIN)";
    case ENOTTY:
        return fmt::format("the daxfs module behind '{}' cannot fold (an older module): load "
                           "one that knows DAXFS_IOC_FOLD",
                           mnt);
    case ENOSPC:
        return "no room to fold: a fold needs a free branch slot and log pages in the delta "
               "region";
    default:
        return fmt::format("cannot fold main through '{}': {}", mnt, std::strerror(err));
    }
}

} // namespace daxfs
