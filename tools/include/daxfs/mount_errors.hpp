// SPDX-License-Identifier: GPL-2.0 OR MIT
// What a failed mount(2) of daxfs means, in the words of daxfs: libmount explains errnos as
// a block filesystem would (EBUSY: "already mounted on ..."), which misleads when the kernel
// refused a branch. The kernel log has the details either way.
#pragma once

#include <string>

namespace daxfs {

// The reason for errno @err of a mount(2) with @options, when daxfs gives that errno a
// meaning of its own (branch=, parent=, a corrupt image, too many mounts); "" otherwise.
std::string mount_failure_reason(int err, const std::string &options);

} // namespace daxfs
