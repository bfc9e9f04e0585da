// SPDX-License-Identifier: GPL-2.0 OR MIT
// Command-line conventions shared by every DAXFS tool: a bad command line gets exactly one
// line on stderr ("PROG: what is wrong (see --help)") and exit status 2.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace daxfs {

inline constexpr int kUsageExit = 2;

// Prints "PROG: MSG (see --help)" on stderr and returns EXIT (kUsageExit unless the
// program follows another convention, as mount helpers do).
int usage_error(const std::string &prog, const std::string &msg, int exit = kUsageExit);

// Parses argv into @app. Returns an exit status when the program should stop now (--help
// printed: 0; any problem, including left-over arguments of @app or its chosen
// subcommands: @usage_exit after one line), or nothing to go on. Adds --version to @app
// ("PROG VERSION" on stdout, exit status 0).
std::optional<int> parse_command_line(CLI::App &app, int argc, char **argv, const std::string &prog,
                                      int usage_exit = kUsageExit);

} // namespace daxfs
