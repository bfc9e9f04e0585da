// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "source.hpp"

#include <fmt/format.h>

#include "daxfs/branches.hpp"
#include "daxfs/dedup.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/physmem.hpp"
#include "daxfs/replay.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/size.hpp"
#include "daxfs/writer.hpp"

namespace inspect {

std::string SourceSpec::name() const {
    return image.empty() ? fmt::format("phys {}+{}", phys, size) : image;
}

Source::Source(const SourceSpec &spec) {
    if (spec.image.empty())
        map_ = std::make_shared<daxfs::Mapping>(
            daxfs::map_phys(daxfs::parse_size(spec.phys), daxfs::parse_size(spec.size), false));
    else
        map_ = std::make_shared<daxfs::Mapping>(daxfs::map_file_readonly(spec.image.c_str()));
}

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
