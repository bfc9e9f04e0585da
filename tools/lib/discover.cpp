// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/discover.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>

namespace daxfs {

namespace {

bool parse_hex(std::string_view s, std::uint64_t &out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return ec == std::errc() && end == s.data() + s.size();
}

} // namespace

std::vector<MemoryRange> parse_iomem(const std::string &text) {
    std::vector<MemoryRange> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == ' ')
            continue; // nested resources belong to a top-level one
        const auto colon = line.find(" : ");
        const auto dash = line.find('-');
        if (colon == std::string::npos || dash == std::string::npos || dash > colon)
            continue;
        std::string name = line.substr(colon + 3);
        if (name.find("Persistent Memory") == std::string::npos)
            continue;
        std::uint64_t start, end;
        if (!parse_hex(std::string_view(line).substr(0, dash), start) ||
            !parse_hex(std::string_view(line).substr(dash + 1, colon - dash - 1), end) ||
            end < start)
            continue;
        out.push_back({std::move(name), "iomem", start, end - start + 1});
    }
    return out;
}

std::vector<MemoryRange> discover_memory() {
    std::ifstream f("/proc/iomem");
    std::stringstream ss;
    ss << f.rdbuf();
    return parse_iomem(ss.str());
}

} // namespace daxfs
