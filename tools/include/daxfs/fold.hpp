// SPDX-License-Identifier: GPL-2.0 OR MIT
// Folding an Overlay: the one log that, replayed alone over the base image, gives the view
// (common/daxfs_fold.h writes it; this file shows it the Overlay).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "daxfs/overlay.hpp"

namespace daxfs {

// The records of the fold of @view, encoded (seq from 1, crc set), with @limbo_ino for the
// limbo directory (a number taken from live.next_ino) and @now as the time of the records that do
// not set an inode's times. daxfs::Error: EEXIST (the root has the limbo's name), EUCLEAN, ENOMEM.
std::vector<std::vector<std::byte>> fold_records(const Overlay &view, std::uint64_t limbo_ino,
                                                 std::int64_t now);

} // namespace daxfs
