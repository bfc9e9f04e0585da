// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-bench: times the same file-system work on two trees holding the same files
// (DAXFS against tmpfs in a guest) and prints the medians and their ratio.
//
//   daxfs-bench gen-tree DIR [options]      generate a benchmark tree
//   daxfs-bench compare --base NAME=DIR --subject NAME=DIR [options]
//   daxfs-bench maps ROOT                   mmap evidence: fault cost, smaps of a mapping
//   daxfs-bench writes --base NAME=DIR --subject NAME=DIR --file REL [options]
//   daxfs-bench branch-ops --phys P --size S --mnt DIR --lower DIR --scratch DIR --file REL
//   daxfs-bench commits --phys P --size S --main DIR --work DIR [--commits N] [--fold]
//   daxfs-bench mount-times --base NAME=OPTS --subject NAME=OPTS --mnt DIR [--reps N]
//   daxfs-bench fio-report DIR [--subject FS] [--fs FS]... [--rounds] [--out FILE]
//
// Built static by tests/bench/run (no dependency on the CMake build). See README.md.
#include "bench.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

bench::Target parse_target(const std::string &spec) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        throw CLI::ValidationError("target", "'" + spec + "' is not NAME=DIR");
    return {spec.substr(0, eq), spec.substr(eq + 1)};
}

std::string mib(std::uint64_t bytes) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(1);
    s << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
    return s.str();
}

std::string tree_line(const bench::Tree &t) {
    std::ostringstream s;
    s << "tree: " << t.entries.size() << " entries (" << t.files << " files, " << t.dirs.size() - 1
      << " dirs, " << t.symlinks << " symlinks, " << t.others << " other), " << mib(t.total_bytes)
      << " in files";
    return s.str();
}

std::string data_line(const bench::Tree &t) {
    std::ostringstream s;
    s << "data tests: the " << t.large.size() << " largest non-sparse files, " << mib(t.large_bytes)
      << " (" << t.large.front().path;
    if (t.large.size() > 1)
        s << " ... " << t.large.back().path;
    s << "); lookup tests: " << t.big_dir << ", " << t.big_names.size() << " entries";
    return s.str();
}

// Prints the table (after BEFORE) and keeps it in OUT_PATH, the samples in TSV_PATH.
int write_results(const std::vector<bench::Result> &results, const bench::Target &base,
                  const bench::Target &subject, const std::vector<std::string> &headers,
                  const std::string &tsv_path, const std::string &out_path,
                  const std::string &before = {}) {
    bench::ReportHeader hdr{headers};
    std::ostringstream table;
    table << before;
    bench::print_table(table, hdr, base, subject, results);
    std::cout << table.str() << std::flush;
    if (!out_path.empty()) {
        std::ofstream f(out_path);
        f << table.str();
        if (!f.flush())
            throw bench::Error("cannot write " + out_path);
    }
    if (!tsv_path.empty()) {
        std::ofstream f(tsv_path);
        bench::write_tsv(f, base, subject, results);
        if (!f.flush())
            throw bench::Error("cannot write " + tsv_path);
    }
    return 0;
}

int compare(const std::string &base_spec, const std::string &subject_spec,
            const bench::RunOptions &ropt, const bench::TreeOptions &topt,
            const std::vector<std::string> &headers, const std::string &tsv_path,
            const std::string &out_path) {
    const bench::Target base = parse_target(base_spec);
    const bench::Target subject = parse_target(subject_spec);

    std::cerr << "daxfs-bench: scanning " << base.root << std::endl;
    const bench::Tree tree = bench::scan_tree(base.root, topt);
    std::cerr << "daxfs-bench: " << tree_line(tree) << std::endl;
    std::cerr << "daxfs-bench: checking that " << subject.name << " holds the same tree"
              << std::endl;
    bench::verify_same(tree, base, subject);

    std::vector<std::string> lines = headers;
    lines.push_back(tree_line(tree));
    lines.push_back(data_line(tree));
    return write_results(bench::run_all(tree, base, subject, ropt), base, subject, lines, tsv_path,
                         out_path);
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"daxfs-bench: time the same file-system work on two copies of one tree"};
    app.require_subcommand(1);

    std::string gen_dir;
    bench::GenOptions gopt;
    auto *gen = app.add_subcommand("gen-tree", "generate a benchmark tree at DIR (must not exist)");
    gen->add_option("DIR", gen_dir, "directory to create")->required();
    gen->add_option("--seed", gopt.seed, "random seed");
    gen->add_option("--large-count", gopt.large_count, "number of large files")
        ->check(CLI::Range(1u, 1000u));
    gen->add_option("--large-size", gopt.large_size, "bytes per large file")
        ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1} << 34));
    gen->add_option("--big-entries", gopt.big_entries, "entries of the big directory")
        ->check(CLI::Range(1u, 10000000u));

    std::string maps_root;
    auto *maps = app.add_subcommand("maps", "map the largest file under ROOT, time the faults, "
                                            "print its smaps entry");
    maps->add_option("ROOT", maps_root, "tree root")->required();

    std::string base_spec, subject_spec, tsv_path, out_path;
    std::vector<std::string> headers;
    bench::RunOptions ropt;
    bench::TreeOptions topt;
    std::uint64_t large_cap_mib = topt.large_cap >> 20;
    bool no_cold = false;
    auto *cmp = app.add_subcommand("compare", "time BASE and SUBJECT; ratio = BASE/SUBJECT time");
    cmp->add_option("--base", base_spec, "NAME=DIR of the baseline (its tree is scanned)")
        ->required();
    cmp->add_option("--subject", subject_spec, "NAME=DIR of the filesystem under test")->required();
    cmp->add_option("--reps", ropt.reps, "timed samples per target and test")
        ->check(CLI::Range(1, 1000));
    cmp->add_option("--rand-ops", ropt.rand_ops, "random 4 KiB preads per sample")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
    cmp->add_option("--lookup-ops", ropt.lookup_ops, "stats of random names per sample")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
    cmp->add_option("--large-cap", large_cap_mib, "MiB of large files for the data tests")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
    cmp->add_option("--seed", ropt.seed, "random seed of the access patterns");
    cmp->add_flag("--no-cold", no_cold, "skip the tests that drop dentries first");
    cmp->add_option("--header", headers, "a line to print above the table (repeatable)");
    cmp->add_option("--tsv", tsv_path, "also write the results, tab separated, to this file");
    cmp->add_option("--out", out_path, "also write the table to this file");

    std::string w_base, w_subject;
    bench::WriteOptions wopt;
    std::uint64_t w_mib = wopt.file_bytes >> 20;
    auto *wr = app.add_subcommand("writes", "time writes (first write, rewrite) and reads after "
                                            "random overwrites on two writable trees");
    wr->add_option("--base", w_base, "NAME=DIR of the baseline (e.g. tmpfs)")->required();
    wr->add_option("--subject", w_subject, "NAME=DIR under test (e.g. a DAXFS branch)")->required();
    wr->add_option("--file", wopt.overwrite_file, "file (relative) to overwrite, then read")
        ->required();
    wr->add_option("--reps", wopt.reps, "timed samples per target and test")
        ->check(CLI::Range(1, 1000));
    wr->add_option("--mib", w_mib, "MiB written per test")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 16));
    wr->add_option("--overwrites", wopt.overwrites, "random 4 KiB overwrites before the reads")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
    wr->add_option("--only", wopt.only, "run only the tests whose name contains this text");
    wr->add_option("--header", headers, "a line to print above the table (repeatable)");
    wr->add_option("--tsv", tsv_path, "also write the results, tab separated, to this file");
    wr->add_option("--out", out_path, "also write the table to this file");

    bench::BranchOptions bopt;
    auto *br = app.add_subcommand("branch-ops", "time branch create/commit/abort and the first "
                                                "write to a large file against overlayfs copy-up");
    br->add_option("--phys", bopt.phys, "region address (mount option phys=)")->required();
    br->add_option("--size", bopt.size, "region size (mount option size=)")->required();
    br->add_option("--mnt", bopt.mnt, "mount point to use")->required();
    br->add_option("--lower", bopt.lower, "the tree in tmpfs (overlayfs lower layer)")->required();
    br->add_option("--scratch", bopt.scratch, "tmpfs directory for overlayfs upper/work")
        ->required();
    br->add_option("--file", bopt.file, "large file (relative) for the copy-up test")->required();
    br->add_option("--reps", bopt.reps, "samples per test")->check(CLI::Range(1, 1000));
    br->add_option("--sizes", bopt.sizes_mib, "MiB of change per branch (repeatable)");
    br->add_option("--header", headers, "a line to print above the table (repeatable)");
    br->add_option("--tsv", tsv_path, "also write the copy-up result, tab separated, here");
    br->add_option("--out", out_path, "also write the tables to this file");

    bench::CommitOptions copt;
    auto *cm = app.add_subcommand("commits", "commit branches of main in a loop, each commit "
                                             "timed; DAXFS_IOC_FOLD before or after");
    cm->add_option("--phys", copt.phys, "region address (mount option phys=)")->required();
    cm->add_option("--size", copt.size, "region size (mount option size=)")->required();
    cm->add_option("--main", copt.main, "a mount of main (its tree is changed)")->required();
    cm->add_option("--work", copt.work, "directory for the branch mount point")->required();
    cm->add_option("--commits", copt.commits, "commits")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
    cm->add_option("--rewrites", copt.rewrites, "small files rewritten per commit")
        ->check(CLI::Range(0u, 1000u));
    cm->add_option("--seed", copt.seed, "random seed");
    cm->add_option("--prefix", copt.prefix, "branch names: PREFIX1, PREFIX2, ...");
    cm->add_flag("--fold-first", copt.fold_first, "DAXFS_IOC_FOLD on main before the commits");
    cm->add_flag("--fold", copt.fold_last, "DAXFS_IOC_FOLD on main after the commits");
    cm->add_option("--progress", copt.progress, "a line on stderr every N commits");
    cm->add_option("--header", copt.headers, "a line to print first (repeatable)");
    cm->add_option("--tsv", copt.tsv, "every commit's times, tab separated, to this file");
    cm->add_option("--out", out_path, "also write the lines to this file");

    bench::MountOptions mopt;
    auto *mt = app.add_subcommand("mount-times", "mount and umount times of two images; "
                                                 "ratio = BASE/SUBJECT time");
    mt->add_option("--base", base_spec, "NAME=MOUNT-OPTIONS of the baseline")->required();
    mt->add_option("--subject", subject_spec, "NAME=MOUNT-OPTIONS under test")->required();
    mt->add_option("--mnt", mopt.mnt, "mount point to use")->required();
    mt->add_option("--reps", mopt.reps, "samples per image")->check(CLI::Range(1, 1000));
    mt->add_option("--header", headers, "a line to print above the table (repeatable)");
    mt->add_option("--out", out_path, "also write the table to this file");

    bench::FioReportOptions fopt;
    std::vector<std::string> fio_fs;
    auto *fio = app.add_subcommand("fio-report", "the table of tests/bench/run --fio, from the fio "
                                                 "JSON files in DIR (TEST.FS.ROUND.json)");
    fio->add_option("DIR", fopt.dir, "directory of fio's JSON, tests.txt and header.txt")
        ->required();
    fio->add_option("--subject", fopt.subject, "filesystem the ratios are for (default daxfs)");
    fio->add_option("--fs", fio_fs,
                    "filesystems, in column order (repeatable; default tmpfs "
                    "daxfs erofs-raw erofs-fsdax)");
    fio->add_flag("--rounds", fopt.rounds,
                  "also print the ratios of each round (runs of "
                  "one round are close in time)");
    fio->add_option("--out", out_path, "also write the table to this file");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        std::cerr << "daxfs-bench: " << e.what() << " (try --help)\n";
        return 2;
    }

    try {
        if (*gen) {
            bench::generate_tree(gen_dir, gopt);
            return 0;
        }
        if (*maps) {
            bench::print_maps(maps_root);
            return 0;
        }
        if (*wr) {
            wopt.file_bytes = w_mib << 20;
            const bench::Target b = parse_target(w_base), t = parse_target(w_subject);
            return write_results(bench::run_writes(b, t, wopt), b, t, headers, tsv_path, out_path);
        }
        if (*fio) {
            if (!fio_fs.empty())
                fopt.filesystems = fio_fs;
            std::ostringstream table;
            const int rc = bench::fio_report(fopt, table);
            std::cout << table.str() << std::flush;
            if (!out_path.empty()) {
                std::ofstream f(out_path);
                f << table.str();
                if (!f.flush())
                    throw bench::Error("cannot write " + out_path);
            }
            return rc;
        }
        if (*cm) {
            std::ostringstream lines;
            bench::run_commits(lines, copt);
            std::cout << lines.str() << std::flush;
            if (!out_path.empty()) {
                std::ofstream f(out_path);
                f << lines.str();
                if (!f.flush())
                    throw bench::Error("cannot write " + out_path);
            }
            return 0;
        }
        if (*mt) {
            bench::Target b = parse_target(base_spec), t = parse_target(subject_spec);
            mopt.base_opts = b.root.string();
            mopt.subject_opts = t.root.string();
            b.root = t.root = mopt.mnt;
            return write_results(bench::run_mount_times(mopt), b, t, headers, {}, out_path);
        }
        if (*br) {
            std::ostringstream ops;
            std::vector<bench::Result> copyup;
            bench::run_branch_ops(ops, bopt, copyup);
            return write_results(copyup, {"overlayfs", bopt.lower}, {"daxfs", bopt.mnt}, headers,
                                 tsv_path, out_path, ops.str());
        }
        topt.large_cap = large_cap_mib << 20;
        ropt.cold = !no_cold;
        return compare(base_spec, subject_spec, ropt, topt, headers, tsv_path, out_path);
    } catch (const CLI::ValidationError &e) {
        std::cerr << "daxfs-bench: " << e.what() << "\n";
        return 2;
    } catch (const std::exception &e) {
        std::cerr << "daxfs-bench: " << e.what() << "\n";
        return 1;
    }
}
