// SPDX-License-Identifier: GPL-2.0 OR MIT
// Rebuilding the Tree of an existing image, whose file contents stay in the image's memory.
#pragma once

#include "daxfs/overlay.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/tree.hpp"

namespace daxfs {

// Validates @image completely first (daxfs::Error on failure); the Tree refers to
// @image's memory, which must outlive it. On an image with branches the Tree is main: the
// base plus every committed log (so mkdaxfs --from flattens main into a new base image).
Tree tree_from_image(const Image &image);

// The Tree of a view (replay.hpp); base contents stay in the image's memory.
Tree tree_from_overlay(const Overlay &view);

} // namespace daxfs
