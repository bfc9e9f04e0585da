// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/tree.hpp"

#include <algorithm>

#include "daxfs_check.h"

namespace daxfs {

void sort_entries(std::vector<Entry> &entries) {
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        return daxfs_name_cmp(a.name.data(), static_cast<u32>(a.name.size()), b.name.data(),
                              static_cast<u32>(b.name.size())) < 0;
    });
}

} // namespace daxfs
