// SPDX-License-Identifier: GPL-2.0 OR MIT
// Finding regular files with identical content, so the image stores it once.
#pragma once

#include "daxfs/tree.hpp"

namespace daxfs {

// Set Node::same_data of every regular file whose content equals another file's (same
// size, same hash, then compared byte for byte). Only files sharing a size are read.
void find_duplicates(Tree &tree);

} // namespace daxfs
