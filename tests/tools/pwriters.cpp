// daxfs-pwriters: concurrent writers on one file, for tests/vm/branch-parallel-writes.sh. Each
// subcommand prints what it saw and exits 0 when the rule holds, 1 when it does not:
//
//   atomic FILE --threads N --rounds R
//       R rounds: N threads write the same page of FILE (which must exist, a whole number
//       of pages) at once, mostly one page, sometimes two pages at once (every byte of one
//       write() the same value, one value per thread); then the page must hold one value
//       only. Writes of one page over pages the branch owns run in parallel in DAXFS; each
//       write() must still be atomic against the others.
//       The second half of each one-page write comes from a mapping of a memfd whose
//       page was just dropped, so the copy stops in a page fault half way: a writer that
//       did not exclude the others would let them overtake it there.
//   halves FILE
//       Two threads race over every page of FILE (a file of the base image, so no page is
//       the branch's yet): one write()s the second half of each page, the other stores to
//       the first half through a MAP_SHARED mapping. Both copy the base page into the
//       branch at about the same moment; neither store may be lost, so at the end every
//       page must hold both halves. msync(MS_SYNC) of the mapping must succeed.
#include "cli.hpp"
#include "fd.hpp"

#include <atomic>
#include <barrier>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace daxfs::test {
namespace {

constexpr std::size_t kPage = 4096;

std::size_t file_pages(int fd, const std::string &file) {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw_errno("fstat", file);
    return static_cast<std::size_t>(st.st_size) / kPage;
}

bool pwrite_all(int fd, const unsigned char *buf, std::size_t n, std::size_t off) {
    return ::pwrite(fd, buf, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n);
}

// The value thread T writes: never 0 (the value of a page no one wrote).
unsigned char value_of(unsigned t) { return static_cast<unsigned char>(1 + t % 255); }

// A page of a memfd holding VALUE, mapped shared; drop() unmaps it so the next read of it
// faults it in again.
class FaultingPage {
  public:
    explicit FaultingPage(unsigned char value) : fd_(::memfd_create("pwriters", MFD_CLOEXEC)) {
        std::vector<unsigned char> page(kPage, value);
        if (!fd_ || !pwrite_all(fd_.get(), page.data(), kPage, 0))
            throw_errno("memfd", "pwriters");
        void *m = ::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd_.get(), 0);
        if (m == MAP_FAILED)
            throw_errno("mmap", "memfd");
        map_ = static_cast<unsigned char *>(m);
    }
    FaultingPage(const FaultingPage &) = delete;
    FaultingPage &operator=(const FaultingPage &) = delete;
    ~FaultingPage() { ::munmap(map_, kPage); }
    unsigned char *data() const { return map_; }
    void drop() const { ::madvise(map_, kPage, MADV_DONTNEED); }

  private:
    Fd fd_;
    unsigned char *map_ = nullptr;
};

// Reads page P of FD: the number of its bytes that differ from its first byte.
std::size_t mixed_bytes(int fd, std::size_t p, const std::string &file) {
    std::vector<unsigned char> page(kPage);
    if (::pread(fd, page.data(), kPage, static_cast<off_t>(p * kPage)) !=
        static_cast<ssize_t>(kPage))
        throw_errno("pread", file);
    std::size_t n = 0;
    for (std::size_t i = 1; i < kPage; i++)
        n += page[i] != page[0];
    return n;
}

int atomic_writes(const std::string &file, unsigned threads, unsigned rounds) {
    Fd fd = open_at(AT_FDCWD, file, O_RDWR);
    const std::size_t pages = file_pages(fd.get(), file);
    if (pages < 2) {
        std::printf("%s: needs at least 2 pages\n", file.c_str());
        return 1;
    }
    // Each round every thread writes the same page at once, then thread 0 checks it.
    std::atomic<bool> failed{false};
    std::atomic<std::size_t> mixed{0};
    std::barrier sync(static_cast<std::ptrdiff_t>(threads));
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; t++)
        workers.emplace_back([&, t] {
            std::vector<unsigned char> buf(2 * kPage, value_of(t));
            FaultingPage tail(value_of(t));
            for (unsigned r = 0; r < rounds; r++) {
                const std::size_t p = (r * 7) % (pages - 1);
                const auto off = static_cast<off_t>(p * kPage);
                ssize_t want = 2 * kPage, got;
                sync.arrive_and_wait();
                if (t == 0 && r % 8 == 7) {
                    got = ::pwrite(fd.get(), buf.data(), 2 * kPage, off);
                } else {
                    iovec iov[2] = {{buf.data(), kPage / 2}, {tail.data(), kPage / 2}};
                    tail.drop();
                    want = kPage;
                    got = ::pwritev(fd.get(), iov, 2, off);
                }
                if (got != want) {
                    std::printf("pwrite: %s\n", got < 0 ? std::strerror(errno) : "short");
                    failed = true;
                }
                sync.arrive_and_wait();
                if (t == 0 && mixed_bytes(fd.get(), p, file) && mixed++ < 5)
                    std::printf("round %u: page %zu holds the bytes of two writes\n", r, p);
            }
        });
    for (std::thread &w : workers)
        w.join();
    std::printf("%s: %u threads writing one page at once, %u rounds: %zu pages with bytes "
                "of two writes\n",
                file.c_str(), threads, rounds, mixed.load());
    return failed || mixed ? 1 : 0;
}

int halves(const std::string &file) {
    Fd fd = open_at(AT_FDCWD, file, O_RDWR);
    const std::size_t pages = file_pages(fd.get(), file);
    if (!pages) {
        std::printf("%s: empty\n", file.c_str());
        return 1;
    }
    void *m = ::mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (m == MAP_FAILED)
        throw_errno("mmap", file);
    auto *map = static_cast<unsigned char *>(m);
    constexpr std::size_t half = kPage / 2;
    auto low = [](std::size_t p) { return static_cast<unsigned char>(1 + p % 127); };
    auto high = [](std::size_t p) { return static_cast<unsigned char>(128 + p % 127); };
    std::atomic<int> ready{0};
    bool write_failed = false;
    std::thread writer([&] {
        std::vector<unsigned char> buf(half);
        ready++;
        while (ready < 2) {
        }
        for (std::size_t p = 0; p < pages; p++) {
            std::memset(buf.data(), high(p), half);
            if (!pwrite_all(fd.get(), buf.data(), half, p * kPage + half))
                write_failed = true;
        }
    });
    ready++;
    while (ready < 2) {
    }
    for (std::size_t p = 0; p < pages; p++)
        std::memset(map + p * kPage, low(p), half);
    writer.join();
    // On persistent memory this writes the stores through the mapping back to the media.
    if (::msync(m, pages * kPage, MS_SYNC) != 0) {
        std::printf("msync: %s\n", std::strerror(errno));
        write_failed = true;
    }
    ::munmap(m, pages * kPage);
    if (write_failed) {
        std::printf("pwrite or msync failed\n");
        return 1;
    }
    std::vector<unsigned char> page(kPage);
    std::size_t lost = 0;
    for (std::size_t p = 0; p < pages; p++) {
        if (::pread(fd.get(), page.data(), kPage, static_cast<off_t>(p * kPage)) !=
            static_cast<ssize_t>(kPage))
            throw_errno("pread", file);
        bool ok = true;
        for (std::size_t i = 0; i < kPage; i++)
            ok &= page[i] == (i < half ? low(p) : high(p));
        if (!ok && lost++ < 5)
            std::printf("page %zu: first half starts %u (want %u), second half %u (want %u)\n", p,
                        page[0], low(p), page[half], high(p));
    }
    std::printf("%s: %zu pages written by write() and a mapping at once, %zu lost a half\n",
                file.c_str(), pages, lost);
    return lost ? 1 : 0;
}

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Concurrent writers on one file of a DAXFS branch.", "daxfs-pwriters"};
    app.require_subcommand(1);
    std::string file;
    unsigned threads = 4, rounds = 2000;
    auto *atomic_cmd = app.add_subcommand("atomic", "Threads write whole pages; none mixes");
    atomic_cmd->add_option("FILE", file)->required();
    atomic_cmd->add_option("--threads", threads)->check(CLI::Range(1, 64))->capture_default_str();
    atomic_cmd->add_option("--rounds", rounds)
        ->check(CLI::Range(1, 10000000))
        ->capture_default_str();
    auto *halves_cmd = app.add_subcommand("halves", "write() and a mapping race over each page");
    halves_cmd->add_option("FILE", file)->required();
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    try {
        if (*atomic_cmd)
            return atomic_writes(file, threads, rounds);
        return halves(file);
    } catch (const std::exception &e) {
        std::printf("%s\n", e.what());
        return 1;
    }
}
