// SPDX-License-Identifier: GPL-2.0 OR MIT
// Decoded log records as text and JSON (daxfs-inspect log).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "daxfs_log.h"

namespace daxfs {

// "WRITE", "TRUNCATE", ...
std::string record_type_name(std::uint32_t type);
// One line: "seq 3 WRITE ino 9 size 4096 pages 0:17 1:18".
std::string record_text(const daxfs_lrec &r);
nlohmann::json record_json(const daxfs_lrec &r);

} // namespace daxfs
