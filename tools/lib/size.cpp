// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/size.hpp"

#include <cerrno>
#include <charconv>
#include <fmt/format.h>

#include "daxfs/error.hpp"

namespace daxfs {

std::uint64_t parse_size(std::string_view text) {
    const std::string orig(text);
    auto bad = [&]() { return Error(EINVAL, fmt::format("invalid size or address '{}'", orig)); };
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || end == text.data())
        throw bad();
    std::string_view rest(end, text.data() + text.size() - end);
    unsigned shift = 0;
    if (!rest.empty() && base == 10) {
        switch (rest[0]) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        default:
            throw bad();
        }
        rest.remove_prefix(1);
        if (rest == "iB" || rest == "B")
            rest = {};
    }
    if (!rest.empty())
        throw bad();
    if (shift && value > (UINT64_MAX >> shift))
        throw bad();
    return value << shift;
}

std::string human_bytes(std::uint64_t bytes) {
    if (bytes < 1024)
        return fmt::format("{} bytes", bytes);
    if (bytes < (1u << 20))
        return fmt::format("{:.1f} KiB", bytes / 1024.0);
    if (bytes < (1ull << 30))
        return fmt::format("{:.1f} MiB", bytes / 1048576.0);
    return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

} // namespace daxfs
