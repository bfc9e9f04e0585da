// daxfs-fsx [--seed S] [--ops N] [--max-size B] [--max-len B] [--verify-every K]
//           [--save FILE] FILE: a seeded random exerciser of one file, read and written both
// through system calls and through mappings, checked after every operation against a copy
// of what the file must hold, kept in memory.
//
// Operations: pread, pwrite (also far past EOF, leaving a hole), a read through a shared
// mapping (the bytes past EOF in the last mapped page must read as zeros), a write through a
// shared mapping (the file is first grown with ftruncate when the write goes past EOF; then
// msync), a write through a private mapping (must never reach the file), ftruncate up and
// down, fsync, and closing and opening the file again. FILE keeps its bytes at the start:
// they are the first model. Every --verify-every operations, and at the end, the whole file
// is compared by read() and through a mapping; --save writes the model to FILE at the end
// (to compare another view of the file, e.g. main after a commit, with cmp).
//
// A difference prints the last operations, the first differing offset and the bytes, and
// exits 1; a usage error exits 2. A fault in a mapping (SIGBUS) kills the process: the
// caller sees a signal.
#include "cli.hpp"
#include "fd.hpp"
#include "rng.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <fmt/format.h>
#include <span>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace daxfs::test {
namespace {

const std::size_t page_size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// A mapping of LEN bytes of FD at OFFSET (page aligned), unmapped when it goes.
class Mapping {
  public:
    Mapping(int fd, std::size_t len, off_t offset, int prot, int flags) : len_(len) {
        void *p = ::mmap(nullptr, len, prot, flags, fd, offset);
        if (p == MAP_FAILED)
            throw std::system_error(errno, std::generic_category(), "mmap");
        addr_ = static_cast<unsigned char *>(p);
    }
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    ~Mapping() { ::munmap(addr_, len_); }
    std::span<unsigned char> bytes() const { return {addr_, len_}; }

  private:
    unsigned char *addr_ = nullptr;
    std::size_t len_;
};

struct Options {
    std::uint64_t seed = 1;
    std::uint64_t ops = 10000;
    std::size_t max_size = 256 * 1024;
    std::size_t max_len = 64 * 1024;
    std::uint64_t verify_every = 1000;
    std::string save;
    std::string path;
};

class Mismatch : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Exerciser {
  public:
    explicit Exerciser(const Options &o) : o_(o), rng_(o.seed) {
        reopen();
        struct stat st {};
        if (::fstat(fd_.get(), &st))
            throw_errno("fstat", o_.path);
        model_.resize(static_cast<std::size_t>(st.st_size));
        read_all(model_);
        note(fmt::format("start: {} bytes", model_.size()));
    }

    void run() {
        for (std::uint64_t i = 1; i <= o_.ops; i++) {
            seq_ = i;
            step();
            if (o_.verify_every && i % o_.verify_every == 0)
                verify_whole();
        }
        verify_whole();
    }

    void save(const std::string &path) const { write_file(path, model_); }

    std::string history() const {
        std::string out;
        for (const auto &line : history_)
            out += "  " + line + "\n";
        return out;
    }

    std::size_t size() const { return model_.size(); }

  private:
    void step() {
        const auto r = rng_.below(100);
        if (r < 18)
            op_read();
        else if (r < 38)
            op_write();
        else if (r < 54)
            op_map_read();
        else if (r < 72)
            op_map_write();
        else if (r < 78)
            op_private_write();
        else if (r < 90)
            op_truncate();
        else if (r < 95)
            op_fsync();
        else
            op_reopen();
    }

    // An offset and length inside [0, LIMIT) (LIMIT > 0), at most max_len long.
    std::pair<std::size_t, std::size_t> range(std::size_t limit) {
        const std::size_t off = rng_.below(limit);
        const std::size_t len = 1 + rng_.below(std::min(o_.max_len, limit - off));
        return {off, len};
    }

    void fill(std::span<unsigned char> out) {
        for (std::size_t i = 0; i < out.size(); i += 8) {
            const std::uint64_t v = rng_.next();
            std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, out.size() - i));
        }
    }

    void op_read() {
        if (model_.empty())
            return note("read skipped (empty)");
        auto [off, len] = range(model_.size());
        note(fmt::format("read {:#x} {:#x}", off, len));
        std::vector<unsigned char> got(len);
        pread_exact(got, off);
        compare(got, off, "read");
    }

    void op_write() {
        auto [off, len] = range(o_.max_size);
        note(fmt::format("write {:#x} {:#x} (size {:#x})", off, len, model_.size()));
        std::vector<unsigned char> data(len);
        fill(data);
        std::size_t done = 0;
        while (done < len) {
            ssize_t n =
                ::pwrite(fd_.get(), data.data() + done, len - done, static_cast<off_t>(off + done));
            if (n <= 0)
                throw_errno("pwrite", o_.path);
            done += static_cast<std::size_t>(n);
        }
        if (off + len > model_.size())
            model_.resize(off + len, 0);
        std::copy(data.begin(), data.end(), model_.begin() + static_cast<std::ptrdiff_t>(off));
    }

    void op_map_read() {
        if (model_.empty())
            return note("mapread skipped (empty)");
        auto [off, len] = range(model_.size());
        note(fmt::format("mapread {:#x} {:#x}", off, len));
        const std::size_t start = off / page_size * page_size;
        const std::size_t end = (off + len + page_size - 1) / page_size * page_size;
        Mapping m(fd_.get(), end - start, static_cast<off_t>(start), PROT_READ, MAP_SHARED);
        compare(m.bytes().subspan(off - start, len), off, "mapread");
        // The rest of the page that holds EOF reads as zeros.
        if (end > model_.size()) {
            auto tail = m.bytes().subspan(model_.size() - start);
            auto bad = std::find_if(tail.begin(), tail.end(), [](unsigned char c) { return c; });
            if (bad != tail.end())
                fail(fmt::format("mapread: byte {:#x}, past EOF {:#x}, is {:#04x}, not zero",
                                 model_.size() + static_cast<std::size_t>(bad - tail.begin()),
                                 model_.size(), *bad));
        }
    }

    void op_map_write() {
        auto [off, len] = range(o_.max_size);
        note(fmt::format("mapwrite {:#x} {:#x} (size {:#x})", off, len, model_.size()));
        if (off + len > model_.size()) {
            if (::ftruncate(fd_.get(), static_cast<off_t>(off + len)))
                throw_errno("ftruncate", o_.path);
            model_.resize(off + len, 0);
        }
        const std::size_t start = off / page_size * page_size;
        Mapping m(fd_.get(), off + len - start, static_cast<off_t>(start), PROT_READ | PROT_WRITE,
                  MAP_SHARED);
        std::vector<unsigned char> data(len);
        fill(data);
        std::copy(data.begin(), data.end(),
                  m.bytes().begin() + static_cast<std::ptrdiff_t>(off - start));
        if (::msync(m.bytes().data(), m.bytes().size(), MS_SYNC))
            throw_errno("msync", o_.path);
        std::copy(data.begin(), data.end(), model_.begin() + static_cast<std::ptrdiff_t>(off));
    }

    // Stores into a private mapping change the copy, never the file.
    void op_private_write() {
        if (model_.empty())
            return note("privwrite skipped (empty)");
        auto [off, len] = range(model_.size());
        note(fmt::format("privwrite {:#x} {:#x}", off, len));
        const std::size_t start = off / page_size * page_size;
        Mapping m(fd_.get(), off + len - start, static_cast<off_t>(start), PROT_READ | PROT_WRITE,
                  MAP_PRIVATE);
        compare(m.bytes().subspan(off - start, len), off, "privwrite (before)");
        fill(m.bytes().subspan(off - start, len));
        std::vector<unsigned char> got(len);
        pread_exact(got, off);
        compare(got, off, "read after privwrite");
    }

    void op_truncate() {
        const std::size_t size = rng_.below(o_.max_size + 1);
        note(fmt::format("truncate {:#x} -> {:#x}", model_.size(), size));
        if (::ftruncate(fd_.get(), static_cast<off_t>(size)))
            throw_errno("ftruncate", o_.path);
        model_.resize(size, 0);
    }

    void op_fsync() {
        note("fsync");
        if (::fsync(fd_.get()))
            throw_errno("fsync", o_.path);
    }

    void op_reopen() {
        note("close and open");
        reopen();
    }

    void reopen() { fd_ = open_at(AT_FDCWD, o_.path, O_RDWR | O_CREAT, 0644); }

    void pread_exact(std::span<unsigned char> out, std::size_t off) {
        std::size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
                                static_cast<off_t>(off + done));
            if (n < 0)
                throw_errno("pread", o_.path);
            if (n == 0)
                fail(fmt::format("read: EOF at {:#x}, the file should be {:#x} bytes", off + done,
                                 model_.size()));
            done += static_cast<std::size_t>(n);
        }
    }

    void read_all(std::span<unsigned char> out) { pread_exact(out, 0); }

    void verify_whole() {
        struct stat st {};
        if (::fstat(fd_.get(), &st))
            throw_errno("fstat", o_.path);
        if (static_cast<std::size_t>(st.st_size) != model_.size())
            fail(fmt::format("size {:#x}, should be {:#x}", st.st_size, model_.size()));
        std::vector<unsigned char> got(model_.size());
        read_all(got);
        compare(got, 0, "whole file by read");
        if (model_.empty())
            return;
        Mapping m(fd_.get(), model_.size(), 0, PROT_READ, MAP_SHARED);
        compare(m.bytes(), 0, "whole file by mapping");
    }

    void compare(std::span<const unsigned char> got, std::size_t off, const std::string &what) {
        auto want = std::span<const unsigned char>(model_).subspan(off, got.size());
        auto [g, w] = std::mismatch(got.begin(), got.end(), want.begin());
        if (g == got.end())
            return;
        const auto at = static_cast<std::size_t>(g - got.begin());
        fail(fmt::format("{}: byte {:#x} is {:#04x}, should be {:#04x} ({} bytes from {:#x})", what,
                         off + at, *g, *w, got.size(), off));
    }

    void note(std::string line) {
        history_.push_back(fmt::format("{:>7} {}", seq_, std::move(line)));
        if (history_.size() > 24)
            history_.pop_front();
    }

    [[noreturn]] void fail(const std::string &why) {
        throw Mismatch(fmt::format("op {} (seed {}): {}", seq_, o_.seed, why));
    }

    const Options &o_;
    Rng rng_;
    Fd fd_;
    std::vector<unsigned char> model_;
    std::uint64_t seq_ = 0;
    std::deque<std::string> history_;
};

int run(const Options &o) {
    try {
        Exerciser ex(o);
        try {
            ex.run();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "daxfs-fsx: %s\nlast operations:\n%s", e.what(),
                         ex.history().c_str());
            return 1;
        }
        if (!o.save.empty())
            ex.save(o.save);
        std::printf("daxfs-fsx: %llu operations (seed %llu) on %s passed; %zu bytes at the end\n",
                    static_cast<unsigned long long>(o.ops), static_cast<unsigned long long>(o.seed),
                    o.path.c_str(), ex.size());
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "daxfs-fsx: %s\n", e.what());
        return 1;
    }
}

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Seeded random reads and writes of one file, by system calls and mappings, "
                 "checked against a model after every operation.",
                 "daxfs-fsx"};
    Options o;
    app.add_option("--seed", o.seed, "Seed of the sequence")->capture_default_str();
    app.add_option("--ops", o.ops, "Operations")->capture_default_str();
    app.add_option("--max-size", o.max_size, "Largest file size the operations make")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
        ->capture_default_str();
    app.add_option("--max-len", o.max_len, "Longest single read or write")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
        ->capture_default_str();
    app.add_option("--verify-every", o.verify_every,
                   "Compare the whole file every K operations (0: only at the end)")
        ->capture_default_str();
    app.add_option("--save", o.save, "Write the final model here (to compare other views)");
    app.add_option("FILE", o.path, "The file (created if missing; its bytes are the start)")
        ->required();
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    return run(o);
}
