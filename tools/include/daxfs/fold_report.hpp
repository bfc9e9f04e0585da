// SPDX-License-Identifier: GPL-2.0 OR MIT
// What `daxfs-branch gc` says about a fold of main (DAXFS_IOC_FOLD): the result as text
// and JSON, and the errors of the ioctl as one line each.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "daxfs_ioctl.h"

namespace daxfs {

// One line, or two when what the fold left behind waits for readers, each ending in '\n'.
std::string fold_text(const daxfs_ioc_fold &f);
// Every field of @f (pending as a bool), and bytes_freed.
nlohmann::json fold_json(const daxfs_ioc_fold &f);
// The message for DAXFS_IOC_FOLD failing with @err on the daxfs mount at @mnt.
std::string fold_error(int err, const std::string &mnt);

} // namespace daxfs
