// SPDX-License-Identifier: GPL-2.0 OR MIT
// Shared types of daxfs-bench: the tree a benchmark walks, the timed tests, their results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bench {

// A failure the user can act on: printed as one line, exit status 1.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Nanoseconds of CLOCK_MONOTONIC.
std::int64_t now_ns();

// "WHAT: " and the text of errno.
std::string errno_msg(const std::string &what);

// An owned file descriptor, closed when it goes.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    // open(2) of P, O_CLOEXEC added; Error "open P: ..." when it fails.
    Fd(const std::filesystem::path &p, int flags, mode_t mode = 0644);
    Fd(Fd &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    Fd &operator=(Fd &&) = delete;
    ~Fd();
    int get() const { return fd_; }

  private:
    int fd_;
};

// Everything a benchmark needs to know about a tree, as paths relative to its root.
// Both filesystems are measured with this one list, taken from the baseline.
struct Tree {
    std::vector<std::string> entries; // every path but the root ("." excluded)
    std::vector<std::string> dirs;    // every directory, "." (the root) first
    struct File {
        std::string path;
        std::uint64_t size;
    };
    std::vector<File> large;            // regular files chosen for the data tests
    std::uint64_t large_bytes = 0;      // sum of their sizes
    std::string big_dir;                // directory with the most entries
    std::vector<std::string> big_names; // its entries' names
    std::uint64_t files = 0, symlinks = 0, others = 0, total_bytes = 0;
    std::uint64_t sparse = 0; // regular files with holes, left out of the data tests
};

struct TreeOptions {
    std::uint64_t large_min = 1 << 20;   // a "large" file has at least this many bytes
    std::uint64_t large_cap = 128 << 20; // stop adding large files past this many bytes
};

// Walks ROOT (no symlinks followed, no mount points crossed). Throws Error.
Tree scan_tree(const std::filesystem::path &root, const TreeOptions &opt);

// One filesystem under test: a label ("tmpfs", "daxfs") and the root of the tree in it.
struct Target {
    std::string name;
    std::filesystem::path root;
};

struct RunOptions {
    int reps = 5;
    std::uint64_t rand_ops = 8192;    // random 4 KiB preads per repetition
    std::uint64_t lookup_ops = 20000; // stats of random names in the big directory
    std::uint64_t seed = 1;
    bool cold = true; // also run the cold-dentry-cache variants
};

// The result of one test on both targets.
struct Result {
    std::string test;                  // short name, e.g. "seq-read-4k"
    std::string what;                  // amount of work per repetition, human readable
    std::string unit;                  // "MiB/s" or "kop/s"
    double work = 0;                   // MiB or thousands of operations per repetition
    std::vector<std::int64_t> base_ns; // one sample per repetition
    std::vector<std::int64_t> subject_ns;
    std::string note; // shown under the table when not empty
};

// Runs every test on BASE and SUBJECT, alternating which goes first per repetition.
std::vector<Result> run_all(const Tree &tree, const Target &base, const Target &subject,
                            const RunOptions &opt);

// Checks that both targets hold the same entries and the same bytes in the large files
// (the data tests compare like with like). Throws Error naming the first difference.
void verify_same(const Tree &tree, const Target &base, const Target &subject);

std::int64_t median(std::vector<std::int64_t> v);

// The write tests (writes.cpp): both targets are writable directories holding the same
// tree; OVERWRITE_FILE (relative) is overwritten at random, then read.
struct WriteOptions {
    int reps = 5;
    std::uint64_t file_bytes = 64 << 20; // per test, split between the threads
    std::string overwrite_file;
    std::uint64_t overwrites = 10000;
    std::uint64_t seed = 1;
    std::string only; // run only the tests whose name holds this (empty: all)
};
std::vector<Result> run_writes(const Target &base, const Target &subject, const WriteOptions &opt);

// Branch operations (branchops.cpp), timed through mount(2) and the DAXFS ioctls.
struct BranchOptions {
    std::string phys, size;        // the region, as mount options
    std::filesystem::path mnt;     // where branches are mounted
    std::filesystem::path lower;   // the tmpfs tree (overlayfs lower layer)
    std::filesystem::path scratch; // tmpfs directory for overlayfs upper/work
    std::string file;              // large file (relative) for the copy-up test
    std::vector<std::uint64_t> sizes_mib{1, 256};
    int reps = 5;
};
// Prints its own table: branch create, commit and abort times by size of change, and the
// copy-up of overlayfs against the first write of a DAXFS branch to the same file.
void run_branch_ops(std::ostream &out, const BranchOptions &opt, std::vector<Result> &copyup);

// Long histories (fold.cpp, issue 12): COMMITS commits of branches of main, each one
// rewriting REWRITES small files and one page of a large file of the tree under MAIN (a
// mount of main), with every DAXFS_IOC_COMMIT timed; optionally DAXFS_IOC_FOLD on MAIN
// before and after. Prints its own lines.
struct CommitOptions {
    std::string phys, size;     // the region, as mount options
    std::filesystem::path main; // a mount of main
    std::filesystem::path work; // branches are mounted at WORK/b
    std::uint64_t commits = 10000;
    unsigned rewrites = 3;
    std::uint64_t seed = 1;
    std::string prefix = "h"; // branch names: PREFIX1, PREFIX2, ...
    bool fold_first = false, fold_last = false;
    std::uint64_t progress = 0; // a line on stderr every PROGRESS commits
    std::vector<std::string> headers;
    std::string tsv; // every commit's times
};
void run_commits(std::ostream &out, const CommitOptions &opt);

// Mount and umount times of two images (mount options each), alternating.
struct MountOptions {
    std::string base_opts, subject_opts;
    std::filesystem::path mnt;
    int reps = 9;
};
std::vector<Result> run_mount_times(const MountOptions &opt);

// Writes the human table and a tab-separated file (one line per test) for scripts.
struct ReportHeader {
    std::vector<std::string> lines; // free text printed above the table
};
void print_table(std::ostream &out, const ReportHeader &hdr, const Target &base,
                 const Target &subject, const std::vector<Result> &results);
void write_tsv(std::ostream &out, const Target &base, const Target &subject,
               const std::vector<Result> &results);

// Maps the largest file under ROOT, times page faults, prints its /proc/self/smaps entry.
void print_maps(const std::filesystem::path &root);

// Generates a benchmark tree at DIR (must not exist): large files, a directory of
// BIG_ENTRIES entries, a nested tree of small files and symlinks. Deterministic per seed.
struct GenOptions {
    std::uint64_t seed = 1;
    unsigned large_count = 4;
    std::uint64_t large_size = 32 << 20;
    unsigned big_entries = 20000;
    unsigned fanout = 4, depth = 4, files_per_dir = 6;
};
void generate_tree(const std::filesystem::path &dir, const GenOptions &opt);

// The table of `tests/bench/run --fio` from fio's JSON files in DIR (fioreport.cpp).
// Returns 1 (after the table) when a test lacks runs for a filesystem. Throws Error.
struct FioReportOptions {
    std::string dir;
    std::string subject = "daxfs"; // ratios are SUBJECT / each other filesystem
    std::vector<std::string> filesystems{"tmpfs", "daxfs", "erofs-raw", "erofs-fsdax"};
    bool rounds = false; // also print SUBJECT/X of each round
};
int fio_report(const FioReportOptions &opt, std::ostream &out);

} // namespace bench
