// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-hostile DIR: write the hostile-log corpus (hostile_corpus.hpp) into DIR for the
// guest scenario tests/vm/branch-hostile-logs.sh: NAME.img for each case, and DIR/cases with a
// line "NAME|MOUNT OPTIONS|REASON" each (REASON empty for a good image).
#include <cstdio>
#include <fstream>

#include "helpers.hpp"
#include "hostile_corpus.hpp"

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: daxfs-hostile DIR\n");
        return 2;
    }
    const std::string out = argv[1];
    testing_daxfs::TempDir work;
    std::ofstream cases(out + "/cases");
    for (const auto &c : testing_daxfs::hostile_corpus(work.path())) {
        std::ofstream img(out + "/" + c.name + ".img", std::ios::binary);
        img.write(reinterpret_cast<const char *>(c.image.data()),
                  static_cast<std::streamsize>(c.image.size()));
        cases << c.name << '|' << c.mount << '|' << c.reason << '\n';
        if (!img || !cases) {
            std::fprintf(stderr, "daxfs-hostile: cannot write %s\n", out.c_str());
            return 1;
        }
    }
    return 0;
}
