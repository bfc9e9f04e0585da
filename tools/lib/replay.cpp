// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/replay.hpp"

#include <cerrno>
#include <fmt/format.h>

#include "daxfs/error.hpp"

namespace daxfs {

Overlay replay_chain(const Image &image, const BranchTable &table,
                     const std::vector<std::uint32_t> &chain) {
    Overlay view(image);
    for (std::uint32_t slot : chain)
        view.replay(table.slot(slot));
    return view;
}

namespace {

std::vector<std::uint32_t> chain_of(const BranchTable &table, std::string_view branch) {
    if (branch == "main")
        return table.main_chain();
    return table.chain(table.find(branch).slot);
}

} // namespace

Overlay replay_view(const Image &image, std::string_view branch) {
    if (!has_branches(image)) {
        if (branch != "main")
            throw Error(EOPNOTSUPP, fmt::format("no branch '{}': the image has no branches "
                                                "(made without mkdaxfs -b)",
                                                branch));
        return Overlay(image);
    }
    const BranchTable table(image);
    return replay_chain(image, table, chain_of(table, branch));
}

Overlay replay_parent_view(const Image &image, std::string_view branch) {
    if (branch == "main")
        throw Error(EINVAL, "main has no parent");
    const BranchTable table(image);
    std::vector<std::uint32_t> chain = chain_of(table, branch);
    chain.pop_back();
    return replay_chain(image, table, chain);
}

} // namespace daxfs
