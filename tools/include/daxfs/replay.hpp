// SPDX-License-Identifier: GPL-2.0 OR MIT
// Views of an image with branches: the base image plus the logs of a chain of branches,
// replayed oldest first into an Overlay.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "daxfs/branches.hpp"
#include "daxfs/overlay.hpp"

namespace daxfs {

// Base plus the logs of @chain (slots, oldest first).
Overlay replay_chain(const Image &image, const BranchTable &table,
                     const std::vector<std::uint32_t> &chain);

// What @branch shows: "main" is the base plus the committed chain ending at main_head
// (just the base on an image without branches); another name is its chain of ancestors
// and itself. daxfs::Error: ENOENT (no such branch), EOPNOTSUPP (no branches), EUCLEAN.
Overlay replay_view(const Image &image, std::string_view branch = "main");

// What @branch was created on: its ancestors' chain without its own log.
Overlay replay_parent_view(const Image &image, std::string_view branch);

} // namespace daxfs
