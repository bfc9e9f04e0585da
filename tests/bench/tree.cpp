// SPDX-License-Identifier: GPL-2.0 OR MIT
// Walks the baseline tree once and picks what each test works on.
#include "bench.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <system_error>
#include <time.h>

namespace fs = std::filesystem;

namespace bench {

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

Tree scan_tree(const fs::path &root, const TreeOptions &opt) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(root, ec)))
        throw Error(root.string() + ": not a directory");

    Tree t;
    t.dirs.push_back(".");
    std::map<std::string, std::uint64_t> per_dir{{".", 0}};
    std::vector<Tree::File> regular;

    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    if (ec)
        throw Error(root.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
            throw Error(root.string() + ": " + ec.message());
        const fs::path rel = it->path().lexically_relative(root);
        const std::string parent =
            rel.has_parent_path() ? rel.parent_path().string() : std::string(".");
        per_dir[parent]++;
        t.entries.push_back(rel.string());

        const fs::file_status st = it->symlink_status(ec);
        if (ec)
            throw Error(it->path().string() + ": " + ec.message());
        switch (st.type()) {
        case fs::file_type::directory:
            t.dirs.push_back(rel.string());
            per_dir.try_emplace(rel.string(), 0);
            break;
        case fs::file_type::regular: {
            struct stat st {};
            if (::lstat(it->path().c_str(), &st) != 0)
                throw Error(it->path().string() + ": " + std::strerror(errno));
            const auto size = static_cast<std::uint64_t>(st.st_size);
            t.files++;
            t.total_bytes += size;
            // Sparse files are left out of the data tests: tmpfs reads holes without
            // memory behind them, which is a different test than reading data.
            if (static_cast<std::uint64_t>(st.st_blocks) * 512 >= (size & ~std::uint64_t{4095}))
                regular.push_back({rel.string(), size});
            else
                t.sparse++;
            break;
        }
        case fs::file_type::symlink:
            t.symlinks++;
            break;
        default:
            t.others++;
            break;
        }
    }

    // Large files: biggest first (ties by path, so the choice is reproducible).
    std::sort(regular.begin(), regular.end(), [](const Tree::File &a, const Tree::File &b) {
        return a.size != b.size ? a.size > b.size : a.path < b.path;
    });
    for (const Tree::File &f : regular) {
        if (f.size < opt.large_min)
            break;
        if (!t.large.empty() && t.large_bytes + f.size > opt.large_cap)
            continue;
        t.large.push_back(f);
        t.large_bytes += f.size;
    }
    if (t.large.empty())
        throw Error(root.string() + ": no regular file of at least " +
                    std::to_string(opt.large_min) + " bytes for the data tests");

    auto biggest = std::max_element(per_dir.begin(), per_dir.end(),
                                    [](auto &a, auto &b) { return a.second < b.second; });
    t.big_dir = biggest->first;
    for (const auto &e : fs::directory_iterator(root / t.big_dir))
        t.big_names.push_back(e.path().filename().string());
    std::sort(t.big_names.begin(), t.big_names.end());
    return t;
}

} // namespace bench
