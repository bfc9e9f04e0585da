// SPDX-License-Identifier: GPL-2.0 OR MIT
// Rebuilding the Tree of an existing image, whose file contents stay in the image's memory.
#pragma once

#include "daxfs/reader.hpp"
#include "daxfs/tree.hpp"

namespace daxfs {

// Validates @image completely first (daxfs::Error on failure); the Tree refers to
// @image's memory, which must outlive it.
Tree tree_from_image(const Image &image);

} // namespace daxfs
