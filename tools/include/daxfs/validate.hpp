// SPDX-License-Identifier: GPL-2.0 OR MIT
// Full validation of an image by the shared checker (daxfs_validate_image).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace daxfs {

struct Validation {
    bool ok;
    int err;             // positive errno, 0 when ok
    std::string message; // the checker's one-line reason, empty when ok
};

Validation validate_image(std::span<const std::byte> region);

// validate_image(), then on an image with branches the branch table, owner table and every
// log (daxfs_validate_branches), and a replay of main and of every active branch, which
// must fit the tree. @leaked gets the delta pages owned by a branch but named by nothing
// (not an error: a crash or a discard can leave them).
Validation validate_all(std::span<const std::byte> region, std::uint64_t &leaked);

} // namespace daxfs
