// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/mount_errors.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <optional>

#include "daxfs/mount_options.hpp"

namespace daxfs {

namespace {

std::string branch_reason(int err, const std::string &branch,
                          const std::optional<std::string> &parent) {
    switch (err) {
    case EBUSY:
        return parent ? ""
                      : fmt::format("branch {} is mounted already, in this or another kernel "
                                    "(its mount has a heartbeat)",
                                    branch);
    case EEXIST:
        return parent ? fmt::format("branch {} exists already (without parent= the mount "
                                    "attaches to it)",
                                    branch)
                      : "";
    case ENOENT:
        return parent ? fmt::format("no branch {} to create {} under (daxfs-branch list shows "
                                    "the branches)",
                                    *parent, branch)
                      : fmt::format("no active branch {} (parent=NAME creates it)", branch);
    case ESTALE:
        return fmt::format("branch {} is stale: main moved past it, or an ancestor is gone",
                           parent ? *parent : branch);
    case ENOSPC:
        return parent ? fmt::format("no free branch slot or delta page for branch {}", branch) : "";
    case EOPNOTSUPP:
        return "the image has no branches (mkdaxfs -b makes one that has)";
    default:
        return "";
    }
}

} // namespace

std::string mount_failure_reason(int err, const std::string &options) {
    const std::optional<std::string> branch = option_value(options, "branch");
    if (branch && *branch != "main") {
        std::string why = branch_reason(err, *branch, option_value(options, "parent"));
        if (!why.empty())
            return why;
    }
    switch (err) {
    case EUCLEAN:
        return "the image or a log of its branches is corrupt (fsck.daxfs checks the region)";
    case EUSERS:
        return "every reader entry of the image is taken: too many mounts of it";
    default:
        return "";
    }
}

} // namespace daxfs
