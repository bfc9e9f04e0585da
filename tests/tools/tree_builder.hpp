// Builds the deterministic "rich" test tree: every kind of file, name and attribute a
// DAXFS image has to carry. The same seed and profile always give the same tree.
#pragma once

#include "fd.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace daxfs::test {

struct TreeProfile {
    std::uint64_t seed = 1;
    bool small = false; // a few MiB and a few hundred entries (corruption tests)
};

struct TreeStats {
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;
};

class TreeBuilder {
  public:
    TreeBuilder(std::string root, TreeProfile profile);
    TreeStats build();

  private:
    std::uint64_t next();
    std::string random_bytes(std::uint64_t n);
    std::string random_name(std::size_t min_len, std::size_t max_len);

    Fd make_dir(int parent, const std::string &name, const std::string &rel);
    void make_file(int dir, const std::string &name, const std::string &content);
    void make_symlink(int dir, const std::string &name, const std::string &target);
    void make_node(int dir, const std::string &name, mode_t mode, dev_t dev);
    void make_socket(int dir, const std::string &name);
    void hard_link(int from_dir, const std::string &from, int to_dir, const std::string &to);

    void build_deep(int root);
    void build_names(int root);
    void build_bigdir(int root);
    void build_empty(int root);
    void build_large(int root);
    void build_sizes(int root);
    void build_links(int root);
    void build_symlinks(int root);
    void build_special(int root);
    void build_modes(int root);
    void build_owners(int root);
    void stamp_times(int dir, const std::string &rel);
    void build_times(int root);
    void stamp_time_edges(int root);

    std::string root_;
    TreeProfile profile_;
    std::uint64_t state_;
    TreeStats stats_;
};

} // namespace daxfs::test
