// SPDX-License-Identifier: GPL-2.0 OR MIT
// Recreating an image's tree in a directory of the host.
#pragma once

#include <functional>
#include <string>

#include "daxfs/reader.hpp"

namespace daxfs {

struct ExtractOptions {
    bool owners = true; // chown to the image's uid/gid (ignored EPERM when not root)
    // Told about what could not be recreated without privileges (device nodes when not
    // root); without it, that is an error.
    std::function<void(const std::string &)> warn;
};

// @dir is created if missing and must be empty. Keeps types, modes, owners, mtimes, hard
// links, symlinks and special files. Validates the image first.
void extract_image(const Image &image, const std::string &dir, const ExtractOptions &opts = {});

} // namespace daxfs
