// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/cli.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace daxfs {

int usage_error(const std::string &prog, const std::string &msg, int exit) {
    fmt::print(stderr, "{}: {} (see --help)\n", prog, msg);
    return exit;
}

std::optional<int> parse_command_line(CLI::App &app, int argc, char **argv, const std::string &prog,
                                      int usage_exit) {
    app.set_version_flag("--version", prog + " " DAXFS_RELEASE);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0)
            return app.exit(e);
        std::string msg = e.what();
        std::replace(msg.begin(), msg.end(), '\n', ' ');
        return usage_error(prog, msg, usage_exit);
    }
    std::vector<std::string> extras = app.remaining();
    for (const auto *sub : app.get_subcommands())
        for (const auto &r : sub->remaining())
            extras.push_back(r);
    if (extras.empty())
        return std::nullopt;
    const std::string &r = extras.front();
    const bool option = r.size() > 1 && r[0] == '-';
    return usage_error(prog, (option ? "unknown option " : "unexpected argument ") + r, usage_exit);
}

} // namespace daxfs
