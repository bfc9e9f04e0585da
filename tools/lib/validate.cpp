// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/validate.hpp"

#include "daxfs/branches.hpp"
#include "daxfs/error.hpp"
#include "daxfs/replay.hpp"
#include "daxfs_check.h"
#include "daxfs_log.h"

namespace daxfs {

Validation validate_image(std::span<const std::byte> region) {
    daxfs_report rep{};
    int err = daxfs_validate_image(region.data(), region.size(), &rep);
    if (!err)
        return {true, 0, {}};
    return {false, -err, rep.msg[0] ? rep.msg : "corrupt image"};
}

namespace {

Validation replay_views(const Image &image) {
    const BranchTable table(image);
    std::vector<std::vector<std::uint32_t>> chains{table.main_chain()};
    for (const daxfs_br &b : table.slots())
        if (b.state == DAXFS_BRANCH_ACTIVE)
            chains.push_back(table.chain(b.slot));
    for (const auto &chain : chains)
        (void)replay_chain(image, table, chain);
    return {true, 0, {}};
}

} // namespace

Validation validate_all(std::span<const std::byte> region, std::uint64_t &leaked) {
    leaked = 0;
    Validation v = validate_image(region);
    if (!v.ok)
        return v;
    try {
        const Image image(region);
        if (!has_branches(image))
            return v;
        daxfs_report rep{};
        int err = daxfs_validate_branches(region.data(), &image.geo(), &leaked, &rep);
        if (err)
            return {false, -err, rep.msg[0] ? rep.msg : "corrupt branches"};
        return replay_views(image);
    } catch (const Error &e) {
        return {false, e.code(), e.what()};
    }
}

} // namespace daxfs
