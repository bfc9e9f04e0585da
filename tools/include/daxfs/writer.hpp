// SPDX-License-Identifier: GPL-2.0 OR MIT
// Emitting the bytes of an image: superblock, inode table, data area and, with branches,
// the branch table, live words and owner table (branch_init.hpp).
#pragma once

#include <cstdint>
#include <functional>

#include "daxfs/layout.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/tree.hpp"

namespace daxfs {

// Progress callback: bytes of file data written so far, out of Layout::base_size.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Write @tree as laid out by @layout into @sink. The superblock goes last, with a uuid
// derived from everything else, so the same tree gives the same bytes. Throws
// daxfs::Error if a source file cannot be read or changed size since it was scanned.
void write_image(const Tree &tree, const Layout &layout, Sink &sink,
                 const ProgressFn &progress = {});

} // namespace daxfs
