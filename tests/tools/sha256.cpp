#include "sha256.hpp"

#include "fd.hpp"

#include <array>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <nettle/sha2.h>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace daxfs::test {
namespace {

std::string hex_digest(sha256_ctx &ctx) {
    std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
    sha256_digest(&ctx, digest.size(), digest.data());
    std::string out;
    out.reserve(2 * digest.size());
    for (auto byte : digest) {
        std::array<char, 3> two{};
        std::snprintf(two.data(), two.size(), "%02x", byte);
        out += two.data();
    }
    return out;
}

sigjmp_buf bus_jump;
volatile std::sig_atomic_t bus_armed = 0;

void on_sigbus(int sig) {
    if (bus_armed)
        siglongjmp(bus_jump, 1);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Hashes [p, p + n) into CTX; false if touching the memory raised SIGBUS. Only trivially
// destructible objects live in this frame, so the longjmp out of the handler is sound.
bool hash_mapped(const std::uint8_t *p, std::uint64_t n, sha256_ctx *ctx) {
    struct sigaction sa {};
    struct sigaction old {};
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old);
    bool ok = true;
    if (sigsetjmp(bus_jump, 1) == 0) {
        bus_armed = 1;
        constexpr std::uint64_t chunk = 1 << 20;
        for (std::uint64_t off = 0; off < n; off += chunk) {
            std::uint64_t len = n - off < chunk ? n - off : chunk;
            sha256_update(ctx, len, p + off);
        }
    } else {
        ok = false;
    }
    bus_armed = 0;
    sigaction(SIGBUS, &old, nullptr);
    return ok;
}

std::string hash_one_mapping(int fd, std::uint64_t size, int flags, const std::string &path) {
    sha256_ctx ctx{};
    sha256_init(&ctx);
    if (size == 0)
        return hex_digest(ctx);
    void *map = ::mmap(nullptr, size, PROT_READ, flags, fd, 0);
    if (map == MAP_FAILED)
        throw_errno(flags == MAP_SHARED ? "cannot mmap (MAP_SHARED)" : "cannot mmap (MAP_PRIVATE)",
                    path);
    bool ok = hash_mapped(static_cast<const std::uint8_t *>(map), size, &ctx);
    ::munmap(map, size);
    if (!ok)
        throw std::runtime_error("SIGBUS reading the mapping of '" + path + "'");
    return hex_digest(ctx);
}

} // namespace

std::string sha256_read(int fd, const std::string &path) {
    sha256_ctx ctx{};
    sha256_init(&ctx);
    // One buffer for the whole run: allocating (and zeroing) it per file would cost more
    // than hashing the thousands of small files of a tree.
    static std::vector<std::uint8_t> buf(256 << 10);
    for (;;) {
        ssize_t got = ::read(fd, buf.data(), buf.size());
        if (got < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("cannot read", path);
        }
        if (got == 0)
            break;
        sha256_update(&ctx, static_cast<std::size_t>(got), buf.data());
    }
    return hex_digest(ctx);
}

std::string sha256_mmap(int fd, std::uint64_t size, const std::string &path) {
    std::string priv = hash_one_mapping(fd, size, MAP_PRIVATE, path);
    std::string shared = hash_one_mapping(fd, size, MAP_SHARED, path);
    if (priv == shared)
        return priv;
    return "private=" + priv + ",shared=" + shared;
}

} // namespace daxfs::test
