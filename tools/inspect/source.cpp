// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "source.hpp"

#include <fmt/format.h>

#include "daxfs/branches.hpp"
#include "daxfs/dedup.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/writer.hpp"

namespace inspect {

Source::Source(const SourceSpec &spec) : map_(spec.map()) {}

daxfs::Image Source::view(const std::string &name) const {
    daxfs::Image image = this->image();
    if (name == "main" &&
        (!daxfs::has_branches(image) || daxfs::BranchTable(image).main_chain().empty()))
        return image;
    daxfs::Tree tree = daxfs::tree_from_overlay(daxfs::replay_view(image, name));
    daxfs::find_duplicates(tree);
    const daxfs::Layout layout = daxfs::plan_layout(tree);
    daxfs::VectorSink sink;
    daxfs::write_image(tree, layout, sink);
    auto bytes = std::make_shared<std::vector<std::byte>>(std::move(sink.bytes));
    return daxfs::Image(*bytes, bytes);
}

} // namespace inspect
