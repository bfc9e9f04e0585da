#include "cli.hpp"

#include <cstdio>
#include <iostream>

namespace daxfs::test {

int parse_cli(CLI::App &app, int argc, char **argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError &e) {
        std::cerr << app.get_name() << ": " << e.what() << " (see --help)\n";
        return 2;
    }
    return -1;
}

} // namespace daxfs::test
