// SPDX-License-Identifier: GPL-2.0 OR MIT
// Full validation of an image by the shared checker (daxfs_validate_image).
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace daxfs {

struct Validation {
    bool ok;
    int err;             // positive errno, 0 when ok
    std::string message; // the checker's one-line reason, empty when ok
};

Validation validate_image(std::span<const std::byte> region);

} // namespace daxfs
