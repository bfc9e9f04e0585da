// SPDX-License-Identifier: GPL-2.0 OR MIT
// The subcommands of daxfs-branch. Each returns the exit status; errors are thrown as
// daxfs::Error and printed by main() as one line.
#pragma once

#include <optional>
#include <string>

#include "daxfs/region.hpp"

namespace branch {

// Where an offline view of the region comes from: an image file, a physical range, the
// region behind a mount point, or (none given) the one region that is mounted.
using Where = daxfs::RegionSpec;

struct CreateArgs {
    std::string name;
    std::string parent = "main"; // empty: attach to an existing branch
    std::string mnt;
    // --phys/--size, or --from MNT2 (a mount of the same region, in region.mount); none:
    // the one region mounted
    daxfs::RegionSpec region;
};

// Mount branch a.name at a.mnt: created under a.parent, or (a.parent empty) an existing
// ACTIVE branch that has no mount.
int cmd_create(const CreateArgs &a);
int cmd_commit(const std::string &mnt);
int cmd_abort(const std::string &mnt);
int cmd_info(const std::string &mnt, bool json);
// Fold main's history now through the mount at @mnt (DAXFS_IOC_FOLD) and say what it did.
int cmd_gc(const std::string &mnt, bool json);
// @watch: look at the table twice, DAXFS_LEASE_NS apart, to tell which mounts beat.
int cmd_list(const Where &w, bool json, bool watch);
// @name empty: the branch mounted at w.mount.
int cmd_diff(const Where &w, std::string name, bool json);

} // namespace branch
