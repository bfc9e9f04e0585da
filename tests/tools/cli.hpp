// Command-line handling shared by the test tools: CLI11, with a bad flag reported in one
// line and exit status 2, --help on stdout with status 0.
#pragma once

#include <CLI/CLI.hpp>

namespace daxfs::test {

// Parses ARGV into APP. Returns -1 to continue, or the exit status to end with.
int parse_cli(CLI::App &app, int argc, char **argv);

} // namespace daxfs::test
