// SPDX-License-Identifier: GPL-2.0 OR MIT
// Path resolution shared by the image reader and the branch views: one rule for ".", "..",
// empty parts and the errors, whatever the tree is made of.
#pragma once

#include <cerrno>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <string_view>

#include "daxfs/error.hpp"

namespace daxfs {

// Resolve @path from @root without following symlinks: empty and "." parts are skipped,
// ".." goes to parent(dir), a name to child(dir, name) (std::nullopt: ENOENT); a part
// after a node that is not a directory (is_dir false) is ENOTDIR.
template <typename Node, typename IsDir, typename Parent, typename Child>
Node walk_path(std::string_view path, Node root, IsDir is_dir, Parent parent, Child child) {
    Node cur = root;
    const std::string full(path);
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        if (!is_dir(cur))
            throw Error(ENOTDIR, fmt::format("'{}': Not a directory", full));
        if (part == "..") {
            cur = parent(cur);
            continue;
        }
        std::optional<Node> next = child(cur, part);
        if (!next)
            throw Error(ENOENT, fmt::format("'{}': No such file or directory", full));
        cur = *next;
    }
    return cur;
}

} // namespace daxfs
