// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "random_log.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "daxfs/overlay.hpp"
#include "log_writer.hpp"

namespace testing_daxfs {

namespace {

struct MNode {
    bool dir = false;
    std::uint32_t nlink = 0; // live: > 0
    std::uint64_t parent = 0;
    std::map<std::string, std::uint64_t> entries;
};

constexpr std::array<const char *, 10> kNames{"a", "b", "c", "x", "y", "n1", "n2", "n3", "A", "zz"};
constexpr std::array<std::uint64_t, 10> kSizes{0,    1,    100,   4095,  4096,
                                               4097, 8192, 10000, 13000, 20000};

class Program {
  public:
    Program(std::vector<std::byte> &img, const daxfs::Overlay &base, std::uint32_t seed)
        : w_(img), rng_(seed) {
        for (const auto &[ino, n] : base.nodes()) {
            MNode m;
            m.dir = S_ISDIR(n.mode);
            m.nlink = n.nlink;
            m.parent = n.parent;
            m.entries = n.entries;
            nodes_.emplace(ino, std::move(m));
            if (S_ISREG(n.mode))
                regs_.insert(ino);
        }
        slot_ = w_.branch("r");
    }

    void run(int ops) {
        for (int i = 0; i < ops; i++) {
            if (i == ops / 2) {
                w_.commit(slot_);
                slot_ = w_.branch("r2", slot_);
            }
            step();
        }
        w_.commit(slot_);
    }

  private:
    std::uint64_t pick(std::uint64_t n) {
        return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
    }
    bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }
    std::string name() { return kNames[pick(kNames.size())]; }

    // A random inode with @pred, 0 if none.
    template <typename P> std::uint64_t any(P pred) {
        std::vector<std::uint64_t> v;
        for (const auto &[ino, n] : nodes_)
            if (pred(n))
                v.push_back(ino);
        return v.empty() ? 0 : v[pick(v.size())];
    }
    std::uint64_t live_dir() {
        return any([](const MNode &n) { return n.dir && n.nlink; });
    }

    // Directory @d is @anc or below it.
    bool below(std::uint64_t d, std::uint64_t anc) const {
        for (;;) {
            if (d == anc)
                return true;
            if (d == DAXFS_ROOT_INO)
                return false;
            d = nodes_.at(d).parent;
        }
    }

    void step() {
        w_.now += static_cast<std::int64_t>(pick(3000000000)) - 500000000;
        switch (pick(12)) {
        case 0:
        case 1:
            return create();
        case 2:
            return link();
        case 3:
        case 4:
            return unlink();
        case 5:
        case 6:
        case 7:
            return rename();
        case 8:
        case 9:
            return write();
        case 10:
            return truncate();
        default:
            return setattr();
        }
    }

    void create() {
        const std::uint64_t d = live_dir();
        const std::string nm = name();
        if (nodes_.at(d).entries.count(nm))
            return;
        std::uint64_t ino = 0;
        MNode m;
        m.nlink = 1;
        switch (pick(6)) {
        case 0:
        case 1:
            ino = w_.create(slot_, DAXFS_REC_CREATE, d, nm, S_IFREG | 0644);
            regs_.insert(ino);
            break;
        case 2:
        case 3:
            ino = w_.create(slot_, DAXFS_REC_MKDIR, d, nm, S_IFDIR | 0755);
            m.dir = true;
            m.nlink = 2;
            m.parent = d;
            break;
        case 4:
            ino = w_.symlink(slot_, d, nm, std::string(1 + pick(300), 't'));
            break;
        default: {
            static constexpr std::array<std::uint32_t, 4> kTypes{S_IFCHR, S_IFBLK, S_IFIFO,
                                                                 S_IFSOCK};
            const std::uint32_t t = kTypes[pick(4)];
            const bool dev = t == S_IFCHR || t == S_IFBLK;
            ino = w_.create(slot_, DAXFS_REC_MKNOD, d, nm, t | 0640,
                            dev ? makedev(pick(300), pick(300)) : 0);
        }
        }
        nodes_.at(d).entries.emplace(nm, ino);
        nodes_.emplace(ino, std::move(m));
    }

    void link() {
        const std::uint64_t x = any([](const MNode &n) { return !n.dir && n.nlink; });
        const std::uint64_t d = live_dir();
        const std::string nm = name();
        if (!x || nodes_.at(d).entries.count(nm))
            return;
        w_.link(slot_, x, d, nm);
        nodes_.at(d).entries.emplace(nm, x);
        nodes_.at(x).nlink++;
    }

    // A random entry: its directory and name; false if the directory has none.
    bool entry(std::uint64_t &dir, std::string &nm) {
        dir = any([](const MNode &n) { return n.dir && n.nlink && !n.entries.empty(); });
        if (!dir)
            return false;
        const auto &e = nodes_.at(dir).entries;
        nm = std::next(e.begin(), static_cast<std::ptrdiff_t>(pick(e.size())))->first;
        return true;
    }

    // @x loses the name it had (in @from).
    void drop(std::uint64_t x, std::uint64_t from) {
        MNode &n = nodes_.at(x);
        if (n.dir) {
            n.nlink = 0;
            nodes_.at(from).nlink--;
        } else {
            n.nlink--;
        }
    }

    void unlink() {
        std::uint64_t d;
        std::string nm;
        if (!entry(d, nm))
            return;
        const std::uint64_t x = nodes_.at(d).entries.at(nm);
        if (nodes_.at(x).dir && !nodes_.at(x).entries.empty())
            return;
        w_.unlink(slot_, x, d, nm);
        nodes_.at(d).entries.erase(nm);
        drop(x, d);
    }

    void move_dir(std::uint64_t x, std::uint64_t from, std::uint64_t to) {
        if (!nodes_.at(x).dir || from == to)
            return;
        nodes_.at(from).nlink--;
        nodes_.at(to).nlink++;
        nodes_.at(x).parent = to;
    }

    void rename() {
        std::uint64_t od;
        std::string on;
        if (!entry(od, on))
            return;
        const std::uint64_t nd = live_dir();
        const std::string nn = name();
        if (od == nd && on == nn)
            return;
        const std::uint64_t x = nodes_.at(od).entries.at(on);
        if (nodes_.at(x).dir && od != nd && below(nd, x))
            return;
        auto &ne = nodes_.at(nd).entries;
        const auto hit = ne.find(nn);
        if (hit == ne.end()) {
            w_.rename(slot_, x, od, on, nd, nn, chance(30) ? DAXFS_RENAME_NOREPLACE : 0);
            ne.emplace(nn, x);
            nodes_.at(od).entries.erase(on);
            move_dir(x, od, nd);
            return;
        }
        const std::uint64_t y = hit->second;
        if (chance(40)) { // exchange
            if (nodes_.at(y).dir && od != nd && below(od, y))
                return;
            w_.rename(slot_, x, od, on, nd, nn, DAXFS_RENAME_EXCHANGE);
            nodes_.at(od).entries[on] = y;
            ne[nn] = x;
            move_dir(x, od, nd);
            move_dir(y, nd, od);
            return;
        }
        const MNode &my = nodes_.at(y);
        if (x == y || my.dir != nodes_.at(x).dir || (my.dir && !my.entries.empty()))
            return;
        w_.rename(slot_, x, od, on, nd, nn);
        drop(y, nd);
        ne[nn] = x;
        nodes_.at(od).entries.erase(on);
        move_dir(x, od, nd);
    }

    std::uint64_t reg() {
        if (regs_.empty())
            return 0;
        return *std::next(regs_.begin(), static_cast<std::ptrdiff_t>(pick(regs_.size())));
    }

    void write() {
        const std::uint64_t f = reg();
        if (!f)
            return;
        const std::uint64_t size = kSizes[pick(kSizes.size())];
        const std::uint64_t pages = (size + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE;
        std::map<std::uint64_t, std::vector<std::byte>> map;
        for (std::uint64_t k = pick(4); pages && k; k--)
            map[pick(pages)] = std::vector<std::byte>(DAXFS_BLOCK_SIZE, std::byte(pick(256)));
        w_.write(slot_, f, size, map);
    }

    void truncate() {
        if (const std::uint64_t f = reg())
            w_.truncate(slot_, f, kSizes[pick(kSizes.size())]);
    }

    void setattr() {
        const std::uint64_t x =
            std::next(nodes_.begin(), static_cast<std::ptrdiff_t>(pick(nodes_.size())))->first;
        w_.setattr(slot_, x, static_cast<std::uint32_t>(pick(DAXFS_ATTR_SUPP + 1)),
                   static_cast<std::uint32_t>(pick(07777 + 1)), static_cast<std::uint32_t>(pick(5)),
                   static_cast<std::uint32_t>(pick(5)),
                   static_cast<std::int64_t>(pick(4000000000000000000)) - 1000000000000000000,
                   static_cast<std::int64_t>(pick(4000000000000000000)));
    }

    LogWriter w_;
    std::mt19937_64 rng_;
    std::uint32_t slot_ = 0;
    std::map<std::uint64_t, MNode> nodes_;
    std::set<std::uint64_t> regs_; // regular files, base ones included
};

} // namespace

void write_random_program(std::vector<std::byte> &img, const daxfs::Overlay &base,
                          std::uint32_t seed, int ops) {
    Program p(img, base, seed);
    p.run(ops);
}

} // namespace testing_daxfs
