// SPDX-License-Identifier: GPL-2.0 OR MIT
// The write tests: the same writes in a writable DAXFS branch and in tmpfs, as fio's psync
// engine would do them (one pwrite per block, no fsync), then reads of a file that took
// many random overwrites. Each target is a directory the tests may fill.
#include "bench.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace bench {
namespace {

constexpr std::size_t kPage = 4096;
constexpr double kMiB = 1024.0 * 1024.0;

std::string errno_msg(const std::string &what) { return what + ": " + std::strerror(errno); }

class File {
  public:
    File(const std::filesystem::path &p, int flags)
        : fd_(::open(p.c_str(), flags | O_CLOEXEC, 0644)) {
        if (fd_ < 0)
            throw Error(errno_msg("open " + p.string()));
    }
    File(const File &) = delete;
    File &operator=(const File &) = delete;
    ~File() { ::close(fd_); }
    int fd() const { return fd_; }

  private:
    int fd_;
};

// A page-aligned buffer filled with a pattern that differs per fill value.
struct Block {
    explicit Block(std::size_t n) : size(n), p(static_cast<char *>(std::aligned_alloc(kPage, n))) {
        if (!p)
            throw Error("out of memory");
        fill(1);
    }
    Block(const Block &) = delete;
    Block &operator=(const Block &) = delete;
    ~Block() { std::free(p); }
    void fill(unsigned v) {
        for (std::size_t i = 0; i < size; i++)
            p[i] = static_cast<char>((i * 131 + v) & 0xff);
    }
    std::size_t size;
    char *p;
};

void pwrite_all(int fd, const Block &b, std::size_t n, std::uint64_t off,
                const std::string &shown) {
    if (::pwrite(fd, b.p, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
        throw Error(errno_msg("pwrite " + shown));
}

// What one writer thread does to its file (its own, or one all threads share).
struct Job {
    std::filesystem::path path;
    std::uint64_t bytes; // written by this thread
    std::uint64_t span;  // bytes of the file its random offsets cover
    std::size_t bs;
    bool random;
    bool create; // remove and create the file first (a first write), else rewrite it
    std::uint64_t seed;
};

void run_job(const Job &j) {
    Block b(j.bs);
    const int flags = O_WRONLY | (j.create ? O_CREAT | O_TRUNC : 0);
    File f(j.path, flags);
    const std::uint64_t blocks = j.bytes / j.bs;
    if (!j.random) {
        for (std::uint64_t i = 0; i < blocks; i++)
            pwrite_all(f.fd(), b, j.bs, i * j.bs, j.path.string());
        return;
    }
    std::mt19937_64 rng(j.seed);
    std::uniform_int_distribution<std::uint64_t> dist(0, j.span / j.bs - 1);
    for (std::uint64_t i = 0; i < blocks; i++)
        pwrite_all(f.fd(), b, j.bs, dist(rng) * j.bs, j.path.string());
}

// Runs the jobs, one thread each, and returns the wall time of all of them.
std::int64_t run_jobs(const std::vector<Job> &jobs) {
    std::vector<std::thread> threads;
    std::vector<std::string> errors(jobs.size());
    const std::int64_t t0 = now_ns();
    for (std::size_t i = 0; i < jobs.size(); i++)
        threads.emplace_back([&, i] {
            try {
                run_job(jobs[i]);
            } catch (const std::exception &e) {
                errors[i] = e.what();
            }
        });
    for (std::thread &t : threads)
        t.join();
    const std::int64_t t1 = now_ns();
    for (const std::string &e : errors)
        if (!e.empty())
            throw Error(e);
    return t1 - t0;
}

// THREADS jobs writing o.file_bytes in all: each into a file of its own, or with SHARED
// all into one file of that size (fio's numjobs with one filename).
std::vector<Job> jobs_for(const Target &t, const WriteOptions &o, unsigned threads, std::size_t bs,
                          bool random, bool create, bool shared) {
    std::vector<Job> jobs;
    const std::uint64_t bytes = o.file_bytes / threads;
    for (unsigned i = 0; i < threads; i++)
        jobs.push_back({t.root / ("bench-w" + std::to_string(shared ? 0 : i)), bytes,
                        shared ? o.file_bytes : bytes, bs, random, create, o.seed + i});
    return jobs;
}

void remove_jobs(const std::vector<Job> &jobs) {
    for (const Job &j : jobs)
        if (::unlink(j.path.c_str()) != 0 && errno != ENOENT)
            throw Error(errno_msg("unlink " + j.path.string()));
}

// Creates the files of JOBS (untimed): 1 MiB writes over each file's span.
void create_files(const std::vector<Job> &jobs) {
    std::vector<Job> setup;
    for (const Job &j : jobs)
        if (setup.empty() || setup.back().path != j.path)
            setup.push_back({j.path, j.span, j.span, 1 << 20, false, true, 0});
    run_jobs(setup);
}

// COUNT random 4 KiB overwrites of FILE (a file of the base image, or its tmpfs copy):
// afterwards its pages come from everywhere in the delta region.
// Returns the time of the writes: in DAXFS the first write of each page copies it into
// the branch.
std::int64_t overwrite(const std::filesystem::path &file, std::uint64_t size, std::uint64_t count,
                       std::uint64_t seed) {
    Block b(kPage);
    File f(file, O_WRONLY);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::uint64_t> dist(0, size / kPage - 1);
    const std::int64_t t0 = now_ns();
    for (std::uint64_t i = 0; i < count; i++) {
        b.p[0] = static_cast<char>(i);
        pwrite_all(f.fd(), b, kPage, dist(rng) * kPage, file.string());
    }
    return now_ns() - t0;
}

std::int64_t read_file(const std::filesystem::path &file, std::size_t bs, std::uint64_t size) {
    Block b(bs);
    File f(file, O_RDONLY);
    std::uint64_t total = 0;
    const std::int64_t t0 = now_ns();
    for (;;) {
        const ssize_t n = ::read(f.fd(), b.p, bs);
        if (n < 0)
            throw Error(errno_msg("read " + file.string()));
        if (n == 0)
            break;
        total += static_cast<std::uint64_t>(n);
    }
    const std::int64_t t1 = now_ns();
    if (total != size)
        throw Error(file.string() + ": read " + std::to_string(total) + " bytes, expected " +
                    std::to_string(size));
    return t1 - t0;
}

std::int64_t rand_read_file(const std::filesystem::path &file, std::uint64_t size,
                            std::uint64_t ops, std::uint64_t seed) {
    Block b(kPage);
    File f(file, O_RDONLY);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::uint64_t> dist(0, size / kPage - 1);
    const std::int64_t t0 = now_ns();
    for (std::uint64_t i = 0; i < ops; i++)
        if (::pread(f.fd(), b.p, kPage, static_cast<off_t>(dist(rng) * kPage)) !=
            static_cast<ssize_t>(kPage))
            throw Error(errno_msg("pread " + file.string()));
    return now_ns() - t0;
}

std::uint64_t size_of(const std::filesystem::path &p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
        throw Error(errno_msg("stat " + p.string()));
    return static_cast<std::uint64_t>(st.st_size);
}

bool wanted(const WriteOptions &o, const std::string &test) {
    return o.only.empty() || test.find(o.only) != std::string::npos;
}

} // namespace

std::vector<Result> run_writes(const Target &base, const Target &subject, const WriteOptions &o) {
    struct Case {
        std::string name;
        unsigned threads;
        std::size_t bs;
        bool random;
        bool create;
        bool shared; // all threads write one file
    };
    const std::vector<Case> cases = {
        {"first-write-seq-4k", 1, 4096, false, true, false},
        {"first-write-seq-1m", 1, 1 << 20, false, true, false},
        {"first-write-seq-4k-4t", 4, 4096, false, true, false},
        {"rewrite-seq-4k", 1, 4096, false, false, false},
        {"rewrite-seq-1m", 1, 1 << 20, false, false, false},
        {"rewrite-rand-4k", 1, 4096, true, false, false},
        {"rewrite-rand-4k-4t", 4, 4096, true, false, false},
        {"rewrite-rand-4k-4t-1f", 4, 4096, true, false, true},
        {"rewrite-seq-1m-4t", 4, 1 << 20, false, false, false},
    };
    const double mib = static_cast<double>(o.file_bytes) / kMiB;
    std::vector<Result> results;
    for (const Case &c : cases) {
        if (!wanted(o, c.name))
            continue;
        std::cerr << "daxfs-bench: " << c.name << std::endl;
        const std::string where = c.threads == 1 ? " in 1 file"
                                  : c.shared
                                      ? " in 1 file by " + std::to_string(c.threads) + " threads"
                                      : " in " + std::to_string(c.threads) + " files";
        Result r{c.name, std::to_string(o.file_bytes >> 20) + " MiB" + where, "MiB/s", mib, {}, {},
                 {}};
        for (int rep = 0; rep < o.reps; rep++) {
            const bool base_first = rep % 2 == 0;
            for (int k = 0; k < 2; k++) {
                const Target &t = (k == 0) == base_first ? base : subject;
                const auto jobs = jobs_for(t, o, c.threads, c.bs, c.random, c.create, c.shared);
                if (!c.create)
                    create_files(jobs);
                const std::int64_t ns = run_jobs(jobs);
                (&t == &base ? r.base_ns : r.subject_ns).push_back(ns);
                remove_jobs(jobs);
            }
        }
        if (c.name == "first-write-seq-4k")
            r.note = "first write: the file is created and every block written once; rewrite: "
                     "the same file written again\n  (in DAXFS the branch owns those pages by "
                     "then and writes them in place)";
        results.push_back(std::move(r));
    }

    // Reads of a base-image file after many random 4 KiB overwrites in the branch.
    if (!wanted(o, "base-file-rand-write-4k") && !wanted(o, "overwritten-seq-read-1m") &&
        !wanted(o, "overwritten-seq-read-4k") && !wanted(o, "overwritten-rand-read-4k"))
        return results;
    const std::uint64_t size = size_of(base.root / o.overwrite_file);
    if (size < kPage)
        throw Error(o.overwrite_file + " is smaller than a page");
    Result cow{"base-file-rand-write-4k",
               std::to_string(o.overwrites) + " pwrites into " + o.overwrite_file + ", once",
               "MiB/s",
               static_cast<double>(o.overwrites * kPage) / kMiB,
               {},
               {},
               "one sample: the first write of a base-image page copies it into the branch "
               "(tmpfs overwrites in place)"};
    std::cerr << "daxfs-bench: " << cow.test << std::endl;
    cow.base_ns.push_back(overwrite(base.root / o.overwrite_file, size, o.overwrites, o.seed));
    cow.subject_ns.push_back(
        overwrite(subject.root / o.overwrite_file, size, o.overwrites, o.seed));
    results.push_back(std::move(cow));
    const std::string what = o.overwrite_file + " (" + std::to_string(size >> 20) + " MiB) after " +
                             std::to_string(o.overwrites) + " random 4 KiB overwrites";
    struct ReadCase {
        std::string name;
        std::function<std::int64_t(const Target &)> run;
        double work;
    };
    const std::uint64_t rops = 8192;
    const std::vector<ReadCase> reads = {
        {"overwritten-seq-read-1m",
         [&](const Target &t) { return read_file(t.root / o.overwrite_file, 1 << 20, size); },
         static_cast<double>(size) / kMiB},
        {"overwritten-seq-read-4k",
         [&](const Target &t) { return read_file(t.root / o.overwrite_file, kPage, size); },
         static_cast<double>(size) / kMiB},
        {"overwritten-rand-read-4k",
         [&](const Target &t) {
             return rand_read_file(t.root / o.overwrite_file, size, rops, o.seed);
         },
         static_cast<double>(rops * kPage) / kMiB},
    };
    for (const ReadCase &c : reads) {
        std::cerr << "daxfs-bench: " << c.name << std::endl;
        Result r{c.name, what, "MiB/s", c.work, {}, {}, {}};
        c.run(base);
        c.run(subject);
        for (int rep = 0; rep < o.reps; rep++) {
            const bool base_first = rep % 2 == 0;
            for (int k = 0; k < 2; k++) {
                const bool is_base = (k == 0) == base_first;
                (is_base ? r.base_ns : r.subject_ns).push_back(c.run(is_base ? base : subject));
            }
        }
        results.push_back(std::move(r));
    }
    return results;
}

} // namespace bench
