// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "source.hpp"

#include <fmt/format.h>

#include "daxfs/physmem.hpp"
#include "daxfs/size.hpp"

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

} // namespace inspect
