// SPDX-License-Identifier: GPL-2.0 OR MIT
// `daxfs-bench maps ROOT`: evidence for reading the mmap numbers. Maps the largest file of
// the tree, times the first touch of every page (page faults) and a second touch (TLB and
// memory only), and prints the kernel's description of the mapping from /proc/self/smaps
// (VmFlags shows pf for a VM_PFNMAP mapping, mm for VM_MIXEDMAP; how many pages one fault
// maps shows in Rss after touching only the first page).
#include "bench.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace bench {
namespace {

volatile std::uint64_t g_maps_sink;

// The interesting lines of the smaps block of the mapping that starts at ADDR.
std::string smaps_of(const void *addr) {
    char start[32];
    std::snprintf(start, sizeof(start), "%lx-", reinterpret_cast<unsigned long>(addr));
    static constexpr const char *keep[] = {
        "Rss:", "KernelPageSize:", "MMUPageSize:", "FilePmdMapped:", "VmFlags:"};
    std::ifstream f("/proc/self/smaps");
    std::string line, out;
    bool in = false;
    while (std::getline(f, line)) {
        const bool field = !line.empty() && line[0] >= 'A' && line[0] <= 'Z';
        if (!field) { // a mapping's header line
            if (in)
                break;
            in = line.rfind(start, 0) == 0;
            if (in)
                out += "  " + line + "\n";
            continue;
        }
        if (in)
            for (const char *k : keep)
                if (line.rfind(k, 0) == 0)
                    out += "  " + line + "\n";
    }
    return out;
}

std::uint64_t touch(const volatile unsigned char *p, std::uint64_t size) {
    std::uint64_t sum = 0;
    for (std::uint64_t off = 0; off < size; off += 4096)
        sum += p[off];
    return sum;
}

} // namespace

void print_maps(const std::filesystem::path &root) {
    TreeOptions topt;
    topt.large_min = 4096;
    topt.large_cap = 1;
    const Tree tree = scan_tree(root, topt);
    const Tree::File &f = tree.large.front();
    const std::string path = (root / f.path).string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": " + std::strerror(errno));
    void *m = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED)
        throw Error("mmap " + path + ": " + std::strerror(errno));
    const auto *p = static_cast<const volatile unsigned char *>(m);
    const std::uint64_t pages = (f.size + 4095) / 4096;

    g_maps_sink = p[0];
    std::cout << path << " (" << f.size << " bytes, " << pages << " pages)\n"
              << "after touching page 0 only:\n"
              << smaps_of(m);
    const std::int64_t t0 = now_ns();
    g_maps_sink = touch(p, f.size);
    const std::int64_t t1 = now_ns();
    g_maps_sink = touch(p, f.size);
    const std::int64_t t2 = now_ns();
    std::cout << "first touch of every page: " << (t1 - t0) / static_cast<std::int64_t>(pages)
              << " ns/page; second touch: " << (t2 - t1) / static_cast<std::int64_t>(pages)
              << " ns/page\nafter touching every page:\n"
              << smaps_of(m);

    // Loads through a mapping that is already fully mapped: memcpy out 1 MiB at a time.
    {
        std::vector<char> out(1 << 20);
        for (int pass = 0; pass < 2; pass++) {
            const std::int64_t a = now_ns();
            for (std::uint64_t off = 0; off < f.size; off += out.size()) {
                const std::size_t n = std::min<std::uint64_t>(out.size(), f.size - off);
                std::memcpy(out.data(), static_cast<const char *>(m) + off, n);
            }
            const std::int64_t b = now_ns();
            g_maps_sink = static_cast<unsigned char>(out[0]);
            std::cout << "memcpy out of the mapped file (no faults), pass " << pass + 1 << ": "
                      << (b - a) / static_cast<std::int64_t>(pages) << " ns/page\n";
        }
    }
    ::munmap(m, f.size);

    // Fresh mappings read in different ways, faults included: which access pattern makes
    // the faults expensive.
    {
        // Page aligned, as in daxfs-bench compare: glibc's memcpy then sees source and
        // destination 4 KiB aliased and may copy backward.
        struct Free {
            void operator()(char *q) const { std::free(q); }
        };
        std::unique_ptr<char, Free> owned(static_cast<char *>(std::aligned_alloc(4096, 1 << 20)));
        char *out = owned.get();
        if (!out)
            throw Error("out of memory");
        std::memset(out, 0, 1 << 20);
        std::vector<char> unaligned((1 << 20) + 64);
        const int fd3 = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd3 < 0)
            throw Error(path + ": " + std::strerror(errno));
        for (int how = 0; how < 6; how++) {
            const int flags = MAP_SHARED | (how == 3 ? MAP_POPULATE : 0);
            const std::int64_t a = now_ns();
            void *q = ::mmap(nullptr, f.size, PROT_READ, flags, fd3, 0);
            if (q == MAP_FAILED)
                throw Error("mmap " + path + ": " + std::strerror(errno));
            const auto *c = static_cast<const char *>(q);
            std::uint64_t sum = 0;
            const std::size_t chunk = 1 << 20;
            if (how == 5) { // 8-byte loads, last page first
                for (std::uint64_t page = pages; page-- > 0;) {
                    const std::uint64_t end = std::min<std::uint64_t>(f.size, (page + 1) * 4096);
                    for (std::uint64_t i = page * 4096; i + 8 <= end; i += 8) {
                        std::uint64_t v;
                        std::memcpy(&v, c + i, 8);
                        sum += v;
                    }
                }
            }
            for (std::uint64_t off = 0; how != 5 && off < f.size; off += chunk) {
                const std::size_t n = std::min<std::uint64_t>(chunk, f.size - off);
                if (how == 0 || how == 3) {
                    std::memcpy(out, c + off, n);
                } else if (how == 4) {
                    std::memcpy(unaligned.data() + 16, c + off, n);
                } else if (how == 1) {
                    for (std::size_t i = 0; i < n; i += 8) {
                        std::uint64_t v;
                        std::memcpy(&v, c + off + i, 8);
                        sum += v;
                    }
                } else {
                    void *dst = out;
                    const void *src = c + off;
                    std::size_t cnt = n;
                    asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(cnt) : : "memory");
                }
            }
            const std::int64_t b = now_ns();
            ::munmap(q, f.size);
            g_maps_sink = sum + static_cast<unsigned char>(out[0]);
            static constexpr const char *names[] = {
                "glibc memcpy 1 MiB pieces, page-aligned destination",
                "8-byte loads in order",
                "rep movsb 1 MiB pieces",
                "MAP_POPULATE + glibc memcpy, page-aligned destination",
                "glibc memcpy 1 MiB pieces, destination 16 bytes past a page",
                "8-byte loads, last page first"};
            std::cout << "fresh mapping, " << names[how] << ": "
                      << (b - a) / static_cast<std::int64_t>(pages) << " ns/page\n";
        }
        ::close(fd3);
    }

    // The fault handler without the trap: MAP_POPULATE faults every page in from the kernel.
    const int fd2 = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd2 < 0)
        throw Error(path + ": " + std::strerror(errno));
    const std::int64_t t3 = now_ns();
    void *m2 = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd2, 0);
    const std::int64_t t4 = now_ns();
    if (m2 == MAP_FAILED)
        throw Error("mmap " + path + ": " + std::strerror(errno));
    ::munmap(m2, f.size);
    std::cout << "mmap(MAP_POPULATE): " << (t4 - t3) / static_cast<std::int64_t>(pages)
              << " ns/page\n";

    // Per-call cost of read(): the same bytes again and again (no fault, no cold cache).
    std::vector<char> buf(1 << 20);
    for (const std::size_t len :
         {std::size_t{1}, std::size_t{4096}, std::size_t{65536}, std::size_t{1} << 20}) {
        if (len > f.size)
            break;
        const int calls = len >= 65536 ? 200 : 5000;
        const std::int64_t a = now_ns();
        for (int i = 0; i < calls; i++)
            if (::pread(fd2, buf.data(), len, 0) != static_cast<ssize_t>(len))
                throw Error("pread " + path + ": " + std::strerror(errno));
        const std::int64_t b = now_ns();
        std::cout << "pread of " << len << " bytes at offset 0: " << (b - a) / calls
                  << " ns/call\n";
    }
    ::close(fd2);
}

} // namespace bench
