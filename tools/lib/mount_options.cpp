// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/mount_options.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <sstream>
#include <vector>

#include "daxfs/daxdev.hpp"
#include "daxfs/error.hpp"
#include "daxfs/mounts.hpp"

namespace daxfs {

namespace {

std::string key_of(const std::string &o) { return o.substr(0, o.find('=')); }

} // namespace

std::vector<std::string> split_options(const std::string &options) {
    std::vector<std::string> out;
    std::istringstream in(options);
    for (std::string o; std::getline(in, o, ',');)
        if (!o.empty())
            out.push_back(o);
    return out;
}

std::optional<std::string> option_value(const std::string &options, const std::string &key) {
    std::optional<std::string> value;
    for (const std::string &o : split_options(options))
        if (o.size() > key.size() && o.starts_with(key) && o[key.size()] == '=')
            value = o.substr(key.size() + 1);
    return value;
}

std::string dax_to_resolve(const std::string &source, bool source_is_dax,
                           const std::string &options) {
    std::string dax;
    bool phys = false, size = false, named = false;
    for (const std::string &o : split_options(options)) {
        const std::string key = key_of(o);
        if (key == "phys")
            phys = true;
        else if (key == "size")
            size = true;
        else if (key == "dax") {
            dax = o.size() > 4 ? o.substr(4) : "";
            named = true;
        }
    }
    if (phys)
        return {};
    if (!named && source_is_dax)
        dax = source;
    if (!named && dax.empty())
        return {};
    if (size)
        throw Error(EINVAL, "size= comes with phys=: give dax=DEV alone (its range comes from "
                            "libdaxctl) or phys=, size= and dax= together");
    if (dax_device_name(dax).empty())
        throw Error(EINVAL, fmt::format("dax={} does not name a device-DAX device (want "
                                        "/dev/daxX.Y or daxX.Y)",
                                        dax));
    return dax;
}

std::string with_dax_range(const std::string &options, const std::string &name, std::uint64_t start,
                           std::uint64_t size) {
    std::string out;
    for (const std::string &o : split_options(options))
        if (key_of(o) != "dax")
            out += o + ",";
    return out + region_options(start, size, name);
}

} // namespace daxfs
