// daxfs-mktree ROOT [--seed N] [--small]: creates the rich test tree under ROOT (created if
// absent, must be empty). Needs root for device nodes and owners. The same seed and
// profile give the same tree, byte for byte and attribute for attribute.
#include "cli.hpp"
#include "tree_builder.hpp"

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Create the deterministic rich DAXFS test tree under ROOT.", "daxfs-mktree"};
    std::string root;
    TreeProfile profile;
    app.add_option("ROOT", root, "Directory to fill (created if absent, must be empty)")
        ->required();
    app.add_option("--seed", profile.seed, "Seed of the generator")->capture_default_str();
    app.add_flag("--small", profile.small,
                 "A few MiB and a few hundred entries instead of ~60 MiB and 20,000+");
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    try {
        TreeStats stats = TreeBuilder(root, profile).build();
        std::printf("daxfs-mktree: %s: %llu entries, %llu bytes of file data\n", root.c_str(),
                    static_cast<unsigned long long>(stats.entries),
                    static_cast<unsigned long long>(stats.bytes));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "daxfs-mktree: %s\n", e.what());
        return 1;
    }
    return 0;
}
