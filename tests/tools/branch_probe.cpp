// daxfs-bprobe: system-call probes of DAXFS branch mounts for tests/vm/branch-*.sh. Each
// subcommand prints what it saw and exits 0 when the rule holds, 1 when it does not:
//
//   info MNT               print DAXFS_IOC_INFO of the mount as key=value pairs
//   fold MNT               DAXFS_IOC_FOLD on the mount (its view must be main): fold main's
//                          history now; prints what the fold did as key=value pairs
//   hold FILE GO --expect stale|alive
//                          open FILE, map it MAP_SHARED (writable if FILE can be opened
//                          read-write) and touch every page, print "ready", wait until the
//                          file GO exists; then read(), write() on the open descriptor and
//                          touch the mapping again: with "stale" every call must fail with
//                          ESTALE and the mapping raise SIGBUS; with "alive" everything
//                          must still work and read the same bytes as before
//   estale DIR FILE        every operation on the (invalidated) mount fails with ESTALE:
//                          open, create, mkdir, unlink, rename, readdir, chmod, truncate of
//                          FILE in DIR (lstat is reported, not required)
//   commit-race MNT1 MNT2  commit both mounts at the same instant from two threads: exactly
//                          one must succeed and the other fail with ESTALE; prints the winner
//   commit-maps FILE GO    FILE on a mounted main: write the first page of a private
//                          writable mapping (a copy of its own), map it shared too, print
//                          "ready", wait until GO exists; then, after a commit that changed
//                          FILE, the private copy must be intact and the shared mapping
//                          must show the committed bytes (what read() returns)
//   abort-loop OPTS MNT N [--bytes B]
//                          N times: mount -t daxfs -o OPTS,branch=loopI,parent=main at MNT,
//                          write B bytes (default 256 KiB) to a new file, DAXFS_IOC_ABORT
//                          (every fourth time a plain unmount instead, which discards too),
//                          unmount. Every mount must see the free delta pages of the first,
//                          before its own writes: the space of discarded branches comes back
#include "cli.hpp"

#include <daxfs_ioctl.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace daxfs::test {
namespace {

const char *err_name(int err) {
    if (err == 0)
        return "0";
    const char *name = ::strerrorname_np(err);
    return name ? name : "E?";
}

// ioctl REQ of the mount at MNT: true, or false after printing why (NAME: the request's).
bool mount_ioctl(const std::string &mnt, unsigned long req, const char *name, void *arg) {
    int fd = ::open(mnt.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::printf("open %s: %s\n", mnt.c_str(), err_name(errno));
        return false;
    }
    int r = ::ioctl(fd, req, arg);
    int err = errno;
    ::close(fd);
    if (r != 0)
        std::printf("%s %s: %s\n", name, mnt.c_str(), err_name(err));
    return r == 0;
}

int info(const std::string &mnt) {
    daxfs_ioc_info in{};
    if (!mount_ioctl(mnt, DAXFS_IOC_INFO, "DAXFS_IOC_INFO", &in))
        return 1;
    in.name[sizeof(in.name) - 1] = '\0';
    std::printf("slot=%u state=%u generation=%llu parent=%u dead=%u commit_seq=%llu "
                "delta_pages=%llu free_pages=%llu name=%s\n",
                in.slot, in.state, static_cast<unsigned long long>(in.generation), in.parent,
                in.dead, static_cast<unsigned long long>(in.commit_seq),
                static_cast<unsigned long long>(in.delta_pages),
                static_cast<unsigned long long>(in.free_pages), in.name);
    return 0;
}

// DAXFS_IOC_FOLD on MNT (a mount whose view is main): fold main's history now.
int fold(const std::string &mnt) {
    daxfs_ioc_fold st{};
    if (!mount_ioctl(mnt, DAXFS_IOC_FOLD, "DAXFS_IOC_FOLD", &st))
        return 1;
    std::printf("fold_slot=%u records=%llu log_pages=%llu slots_freed=%u pages_freed=%llu "
                "pending=%u ns=%llu\n",
                st.fold_slot, static_cast<unsigned long long>(st.records),
                static_cast<unsigned long long>(st.log_pages), st.slots_freed,
                static_cast<unsigned long long>(st.pages_freed), st.pending,
                static_cast<unsigned long long>(st.ns));
    return 0;
}

sigjmp_buf fault_jump;
void on_sigbus(int) { siglongjmp(fault_jump, 1); }

// Touches one byte at P (a write of the same value when WRITE); true if SIGBUS was raised.
bool touch_faults(volatile unsigned char *p, bool write) {
    struct sigaction sa {};
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
    if (sigsetjmp(fault_jump, 1) != 0)
        return true;
    unsigned char v = *p;
    if (write)
        *p = v;
    return false;
}

class Checks {
  public:
    void want(const char *what, bool ok, const std::string &saw) {
        std::printf("%s %s: %s\n", ok ? "ok  " : "BAD ", what, saw.c_str());
        bad_ |= !ok;
    }
    void want_errno(const char *what, int r, int expect) {
        int err = r < 0 ? errno : 0;
        want(what, err == expect, err_name(err));
    }
    int status() const { return bad_ ? 1 : 0; }

  private:
    bool bad_ = false;
};

int hold(const std::string &file, const std::string &go, bool expect_stale) {
    bool writable = true;
    int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        writable = false;
        fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    }
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) {
        std::printf("cannot open a non-empty %s: %s\n", file.c_str(), err_name(errno));
        return 1;
    }
    auto len = static_cast<std::size_t>(st.st_size);
    void *m = ::mmap(nullptr, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        std::printf("mmap %s: %s\n", file.c_str(), err_name(errno));
        return 1;
    }
    auto *bytes = static_cast<volatile unsigned char *>(m);
    std::vector<unsigned char> before(len);
    for (std::size_t i = 0; i < len; i++)
        before[i] = bytes[i];
    for (std::size_t i = 0; i < len; i += 4096)
        if (writable)
            bytes[i] = before[i]; // a write fault: the page is the branch's own from now on
    std::printf("ready (%s, %zu bytes)\n", writable ? "read-write" : "read-only", len);
    std::fflush(stdout);
    while (::access(go.c_str(), F_OK) != 0)
        ::usleep(10000);

    Checks c;
    std::vector<unsigned char> buf(len);
    ssize_t n = ::pread(fd, buf.data(), len, 0);
    if (expect_stale) {
        c.want_errno("pread on the open descriptor", static_cast<int>(n), ESTALE);
        if (writable)
            c.want_errno("pwrite on the open descriptor",
                         static_cast<int>(::pwrite(fd, before.data(), 1, 0)), ESTALE);
        c.want("read through the mapping", touch_faults(bytes, false), "SIGBUS expected");
        if (writable)
            c.want("write through the mapping", touch_faults(bytes + len - 1, true),
                   "SIGBUS expected");
    } else {
        c.want("pread on the open descriptor", n == static_cast<ssize_t>(len) && buf == before,
               n < 0 ? err_name(errno) : "n=" + std::to_string(n));
        bool faulted = touch_faults(bytes, false) || (writable && touch_faults(bytes, true));
        bool same = !faulted;
        for (std::size_t i = 0; same && i < len; i++)
            same = bytes[i] == before[i];
        c.want("the mapping", same, faulted ? "SIGBUS" : same ? "same bytes" : "bytes changed");
    }
    return c.status();
}

int estale(const std::string &dir, const std::string &file) {
    Checks c;
    struct stat st {};
    int r = ::lstat(file.c_str(), &st);
    std::printf("info lstat: %s\n", err_name(r < 0 ? errno : 0));
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char b;
        c.want_errno("open+read", static_cast<int>(::read(fd, &b, 1)), ESTALE);
        ::close(fd);
    } else {
        c.want_errno("open", fd, ESTALE);
    }
    std::string fresh = dir + "/bprobe-new";
    fd = ::open(fresh.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    c.want_errno("create", fd, ESTALE);
    if (fd >= 0)
        ::close(fd);
    c.want_errno("mkdir", ::mkdir((dir + "/bprobe-dir").c_str(), 0755), ESTALE);
    c.want_errno("chmod", ::chmod(file.c_str(), 0600), ESTALE);
    c.want_errno("truncate", ::truncate(file.c_str(), 0), ESTALE);
    c.want_errno("rename", ::rename(file.c_str(), (dir + "/bprobe-renamed").c_str()), ESTALE);
    c.want_errno("unlink", ::unlink(file.c_str()), ESTALE);
    DIR *d = ::opendir(dir.c_str());
    if (d) {
        errno = 0;
        int entries = 0;
        while (::readdir(d))
            entries++;
        int err = errno;
        ::closedir(d);
        c.want("readdir", err == ESTALE,
               std::string(err_name(err)) + " after " + std::to_string(entries) + " entries");
    } else {
        c.want_errno("opendir", -1, ESTALE);
    }
    return c.status();
}

// FILE on a mounted main: a private writable mapping whose first page this process
// wrote (its own copy), and a shared read-only one. After a commit elsewhere changed
// FILE, the private copy must be intact and the shared mapping must show the new bytes.
int commit_maps(const std::string &file, const std::string &go) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size < 8192) {
        std::printf("cannot open %s of at least 8 KiB: %s\n", file.c_str(), err_name(errno));
        return 1;
    }
    const auto len = static_cast<std::size_t>(st.st_size);
    void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    void *s = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || s == MAP_FAILED) {
        std::printf("mmap %s: %s\n", file.c_str(), err_name(errno));
        return 1;
    }
    auto *priv = static_cast<volatile unsigned char *>(p);
    auto *shared = static_cast<volatile unsigned char *>(s);
    std::vector<unsigned char> before(len);
    for (std::size_t i = 0; i < len; i++)
        before[i] = shared[i];
    for (std::size_t i = 0; i < 4096; i++)
        priv[i] = 0xab;
    std::printf("ready\n");
    std::fflush(stdout);
    while (::access(go.c_str(), F_OK) != 0)
        ::usleep(10000);
    Checks c;
    c.want_errno("fstat after the commit", ::fstat(fd, &st), 0);
    std::vector<unsigned char> now(len);
    c.want("pread", ::pread(fd, now.data(), len, 0) == static_cast<ssize_t>(len), "");
    c.want("the commit changed the file", now != before, "");
    std::size_t stale = 0, lost = 0;
    for (std::size_t i = 0; i < len; i++)
        stale += shared[i] != now[i];
    for (std::size_t i = 0; i < 4096; i++)
        lost += priv[i] != 0xab;
    c.want("the shared mapping shows the committed bytes", !stale,
           std::to_string(stale) + " bytes differ from read()");
    c.want("the private copy of page 0 is intact", !lost, std::to_string(lost) + " bytes lost");
    return c.status();
}

int commit_race(const std::string &a, const std::string &b) {
    int fds[2] = {::open(a.c_str(), O_RDONLY | O_CLOEXEC), ::open(b.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fds[0] < 0 || fds[1] < 0) {
        std::printf("cannot open the mounts: %s\n", err_name(errno));
        return 1;
    }
    std::atomic<int> ready{0};
    int result[2] = {0, 0};
    auto racer = [&](int i) {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        result[i] = ::ioctl(fds[i], DAXFS_IOC_COMMIT) == 0 ? 0 : errno;
    };
    std::thread t0(racer, 0), t1(racer, 1);
    t0.join();
    t1.join();
    ::close(fds[0]);
    ::close(fds[1]);
    bool one = (result[0] == 0 && result[1] == ESTALE) || (result[1] == 0 && result[0] == ESTALE);
    std::printf("%s: %s, %s: %s -> %s\n", a.c_str(), err_name(result[0]), b.c_str(),
                err_name(result[1]),
                one ? (result[0] == 0 ? "winner 1" : "winner 2") : "NOT EXACTLY ONE WINNER");
    return one ? 0 : 1;
}

// DAXFS_IOC_INFO's free_pages of the mount at MNT, or -1.
long long free_pages(const std::string &mnt) {
    int fd = ::open(mnt.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    daxfs_ioc_info in{};
    int r = ::ioctl(fd, DAXFS_IOC_INFO, &in);
    ::close(fd);
    return r == 0 ? static_cast<long long>(in.free_pages) : -1;
}

// One iteration of abort-loop; returns an empty string or what went wrong.
std::string abort_once(const std::string &opts, const std::string &mnt, unsigned i,
                       std::size_t bytes, long long *free_before) {
    std::string o = opts + ",branch=loop" + std::to_string(i) + ",parent=main";
    if (::mount("none", mnt.c_str(), "daxfs", 0, o.c_str()) != 0)
        return std::string("mount: ") + err_name(errno);
    *free_before = free_pages(mnt);
    std::string what;
    int fd = ::open((mnt + "/data").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    std::vector<unsigned char> buf(bytes, static_cast<unsigned char>(i | 1));
    if (fd < 0)
        what = std::string("create: ") + err_name(errno);
    else if (::write(fd, buf.data(), bytes) != static_cast<ssize_t>(bytes))
        what = std::string("write: ") + err_name(errno);
    if (fd >= 0)
        ::close(fd);
    if (what.empty() && i % 4 != 3) {
        int dfd = ::open(mnt.c_str(), O_RDONLY | O_CLOEXEC);
        if (dfd < 0 || ::ioctl(dfd, DAXFS_IOC_ABORT) != 0)
            what = std::string("DAXFS_IOC_ABORT: ") + err_name(errno);
        if (dfd >= 0)
            ::close(dfd);
    }
    if (::umount2(mnt.c_str(), 0) != 0 && what.empty())
        what = std::string("umount: ") + err_name(errno);
    return what;
}

int abort_loop(const std::string &opts, const std::string &mnt, unsigned n, std::size_t bytes) {
    auto start = std::chrono::steady_clock::now();
    long long first = -1, mismatches = 0;
    for (unsigned i = 0; i <= n; i++) {
        long long before = -1;
        std::string what = abort_once(opts, mnt, i, i == n ? 1 : bytes, &before);
        if (!what.empty()) {
            std::printf("iteration %u: %s\n", i, what.c_str());
            return 1;
        }
        if (i == 0)
            first = before;
        if (before != first && mismatches++ < 5)
            std::printf("iteration %u: %lld free pages at mount, %lld at the first\n", i, before,
                        first);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%u create/write/abort rounds of %zu bytes in %.1f s (%.1f ms each); free pages "
                "at mount: %lld first, %lld mismatches\n",
                n, bytes, secs, 1000 * secs / (n + 1), first, mismatches);
    return first >= 0 && mismatches == 0 ? 0 : 1;
}

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"System-call probes of DAXFS branch mounts.", "daxfs-bprobe"};
    app.require_subcommand(1);
    std::string a, b, expect;
    auto *info_cmd = app.add_subcommand("info", "Print DAXFS_IOC_INFO of a mount");
    info_cmd->add_option("MNT", a)->required();
    auto *fold_cmd = app.add_subcommand("fold", "Fold main's history now (DAXFS_IOC_FOLD on MNT)");
    fold_cmd->add_option("MNT", a)->required();
    auto *hold_cmd = app.add_subcommand("hold", "Map FILE, wait for GO, check the mapping");
    hold_cmd->add_option("FILE", a)->required();
    hold_cmd->add_option("GO", b)->required();
    hold_cmd->add_option("--expect", expect)->required()->check(CLI::IsMember({"stale", "alive"}));
    auto *estale_cmd = app.add_subcommand("estale", "Operations in DIR on FILE fail with ESTALE");
    estale_cmd->add_option("DIR", a)->required();
    estale_cmd->add_option("FILE", b)->required();
    auto *race_cmd = app.add_subcommand("commit-race", "Commit two mounts at once");
    race_cmd->add_option("MNT1", a)->required();
    race_cmd->add_option("MNT2", b)->required();
    auto *maps_cmd =
        app.add_subcommand("commit-maps", "Map FILE privately and shared, wait for GO, check");
    maps_cmd->add_option("FILE", a)->required();
    maps_cmd->add_option("GO", b)->required();
    auto *loop_cmd = app.add_subcommand("abort-loop", "Create, write, abort N branches");
    std::string mnt;
    unsigned n = 0;
    std::size_t bytes = 256 * 1024;
    loop_cmd->add_option("OPTS", a, "phys=..,size=.. of the region")->required();
    loop_cmd->add_option("MNT", mnt)->required();
    loop_cmd->add_option("N", n)->required();
    loop_cmd->add_option("--bytes", bytes)->capture_default_str();
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (*info_cmd)
        return info(a);
    if (*fold_cmd)
        return fold(a);
    if (*hold_cmd)
        return hold(a, b, expect == "stale");
    if (*estale_cmd)
        return estale(a, b);
    if (*loop_cmd)
        return abort_loop(a, mnt, n, bytes);
    if (*maps_cmd)
        return commit_maps(a, b);
    return commit_race(a, b);
}
