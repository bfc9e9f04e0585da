// SPDX-License-Identifier: GPL-2.0 OR MIT
// Counting what an image holds, for info/--json output.
#pragma once

#include <nlohmann/json.hpp>

#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"

namespace daxfs {

// Counts over every inode of @image (read through the checker).
Counts count_image(const Image &image);

// The counts as the tools' --json output names them.
nlohmann::json counts_json(const Counts &c);

} // namespace daxfs
