// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "replay_program.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../unit/log_writer.hpp"
#include "daxfs/dedup.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/tree.hpp"
#include "daxfs/writer.hpp"

namespace daxfs_fuzz {

namespace {

constexpr std::uint64_t kDeltaSize = 1u << 20;

// /f (9000 bytes), /keep, /d/b, /d/hl (a hard link of /f), /d/sub/, /e/, /ln -> f, a FIFO
// and a character device.
daxfs::Tree base_tree() {
    static const std::vector<std::byte> bytes = [] {
        std::vector<std::byte> b(9000);
        for (std::size_t i = 0; i < b.size(); i++)
            b[i] = static_cast<std::byte>('a' + i % 26);
        return b;
    }();
    auto node = [](std::uint32_t mode, std::uint64_t size = 0) {
        daxfs::Node n;
        n.mode = mode;
        n.size = size;
        n.mtime = {1700000000, 5};
        n.ctime = {1700000001, 7};
        if (S_ISREG(mode))
            n.source.bytes = std::span(bytes).first(size);
        return n;
    };
    daxfs::Tree t;
    t.nodes = {node(S_IFDIR | 0755),    node(S_IFREG | 0644, 9000), node(S_IFREG | 0600, 10),
               node(S_IFDIR | 0755),    node(S_IFREG | 0644, 100),  node(S_IFDIR | 0700),
               node(S_IFLNK | 0777, 1), node(S_IFDIR | 0755),       node(S_IFIFO | 0644),
               node(S_IFCHR | 0620)};
    t.nodes[6].target = "f";
    t.nodes[9].rdev = 0x0401;
    t.nodes[0].entries = {{"f", 1}, {"keep", 2}, {"d", 3},  {"ln", 6},
                          {"e", 7}, {"fifo", 8}, {"chr", 9}};
    t.nodes[3].entries = {{"b", 4}, {"hl", 1}, {"sub", 5}};
    for (daxfs::Node &n : t.nodes)
        daxfs::sort_entries(n.entries);
    return t;
}

// Names of the pools: the base's, ones that differ from them only in case, and new ones.
constexpr std::array<std::string_view, 16> kNames = {"f",  "keep", "d",    "b",   "sub", "hl",
                                                     "ln", "e",    "fifo", "chr", "F",   "Keep",
                                                     "n0", "n1",   "n2",   "x"};
constexpr std::array<std::uint64_t, 12> kSizes = {0,    1,    100,  4095,  4096,  4097,
                                                  8192, 9000, 9001, 12288, 16385, 40000};
constexpr std::uint64_t kNoInode = 999999;

// The program's bytes, one at a time; 0 past the end.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    bool done() const { return pos_ >= bytes_.size(); }
    std::uint8_t u8() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | u8() << 8); }
    template <typename T> const T &pick(const std::vector<T> &v) { return v[u8() % v.size()]; }

  private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

struct Name {
    std::uint64_t parent;
    std::string name;
    std::uint64_t ino;
};

class Builder {
  public:
    Builder(std::span<const std::uint8_t> program, Built &out)
        : in_(program), out_(out), w_(out.image) {
        const daxfs::Image image(out_.image);
        delta_pages_ = image.geo().delta_pages;
        for (std::uint64_t ino = 1; ino <= image.geo().inode_count; ino++) {
            const daxfs_ino in = image.inode(ino);
            inodes_.push_back(ino);
            if (S_ISREG(in.mode))
                files_.push_back(ino);
            if (!S_ISDIR(in.mode))
                continue;
            dirs_.push_back(ino);
            for (std::uint64_t i = 0; i < image.entry_count(in); i++) {
                const daxfs::Dirent de = image.entry(in, i);
                names_.push_back({ino, std::string(de.name), de.ino});
            }
        }
    }

    void run() {
        try {
            for (int ops = 0; ops < 128 && !in_.done(); ops++)
                op(static_cast<Op>(in_.u8() % kOpCount));
        } catch (const std::runtime_error &) {
            // the delta region or the branch table is full: the program ends here
        }
        out_.inodes.push_back(kNoInode);
    }

  private:
    void op(Op kind);
    std::uint32_t slot();
    std::uint64_t ino();
    std::uint64_t dir();
    std::uint64_t file();
    std::string name() { return std::string(kNames[in_.u8() % kNames.size()]); }
    std::uint64_t new_ino() { return in_.u8() < 200 ? 0 : ino(); }
    std::uint64_t page(std::uint32_t slot);
    std::uint64_t fresh_page(std::uint32_t slot, std::string_view fill);
    Name entry();
    void made(std::uint64_t dir, const std::string &name, std::uint64_t ino, std::uint32_t mode);

    Reader in_;
    Built &out_;
    testing_daxfs::LogWriter w_;
    std::uint64_t delta_pages_ = 0;
    std::vector<std::uint32_t> slots_;
    std::vector<std::uint64_t> inodes_, dirs_, files_, created_;
    std::vector<Name> names_;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> data_pages_; // (slot, page)
    std::vector<std::uint64_t> link_pages_;
};

std::uint32_t Builder::slot() {
    if (slots_.empty())
        slots_.push_back(w_.branch("b0"));
    return in_.pick(slots_);
}

std::uint64_t Builder::ino() {
    const std::uint8_t b = in_.u8();
    if (b < 208)
        return inodes_[b % inodes_.size()];
    if (b < 240 && !created_.empty())
        return created_[b % created_.size()];
    return b % 2 ? kNoInode : 0; // 0: the decoder refuses the record
}

std::uint64_t Builder::dir() {
    const std::uint8_t b = in_.u8();
    return b < 192 ? dirs_[b % dirs_.size()] : ino();
}

std::uint64_t Builder::file() {
    const std::uint8_t b = in_.u8();
    return b < 192 ? files_[b % files_.size()] : ino();
}

std::uint64_t Builder::fresh_page(std::uint32_t slot, std::string_view fill) {
    const std::uint64_t p = w_.alloc(slot);
    std::memcpy(out_.image.data() + w_.page_off(p), fill.data(), fill.size());
    data_pages_.emplace_back(slot, p);
    return p;
}

std::uint64_t Builder::page(std::uint32_t slot) {
    const std::uint8_t kind = in_.u8() % 16;
    const std::uint8_t which = in_.u8();
    if (kind < kOwnAgain)
        return fresh_page(slot, "page data");
    std::vector<std::uint64_t> pick;
    for (const auto &[s, p] : data_pages_)
        if ((s == slot) == (kind < kOtherSlot))
            pick.push_back(p);
    switch (kind) {
    case kOwnAgain:
    case kOwnAgain + 1:
    case kOtherSlot:
        return pick.empty() ? fresh_page(slot, "") : pick[which % pick.size()];
    case kLogHead: {
        const std::uint64_t head = slots_.empty() ? 0 : w_.log_head(slots_[which % slots_.size()]);
        return head ? head : delta_pages_ - 1;
    }
    case kFreePage:
        return delta_pages_ - 1;
    case kOutOfRange:
        return which % 2 ? 0 : delta_pages_;
    default:
        return link_pages_.empty() ? delta_pages_ - 2 : link_pages_[which % link_pages_.size()];
    }
}

Name Builder::entry() {
    if (in_.u8() < 230 && !names_.empty())
        return in_.pick(names_);
    const std::uint64_t parent = dir();
    std::string n = name();
    return {parent, std::move(n), ino()};
}

void Builder::made(std::uint64_t dir, const std::string &name, std::uint64_t ino,
                   std::uint32_t mode) {
    names_.push_back({dir, name, ino});
    if (std::find(inodes_.begin(), inodes_.end(), ino) != inodes_.end())
        return;
    inodes_.push_back(ino);
    created_.push_back(ino);
    out_.inodes.push_back(ino);
    if (S_ISDIR(mode))
        dirs_.push_back(ino);
    if (S_ISREG(mode))
        files_.push_back(ino);
}

void Builder::op(Op kind) {
    switch (kind) {
    case Op::Branch: {
        const std::uint8_t p = in_.u8() % (slots_.size() + 1);
        if (slots_.size() < 6)
            slots_.push_back(w_.branch("b" + std::to_string(slots_.size()),
                                       p ? slots_[p - 1] : DAXFS_MAIN_SLOT));
        break;
    }
    case Op::Commit:
        if (!slots_.empty())
            w_.commit(in_.pick(slots_));
        break;
    case Op::Time: {
        const std::uint8_t b = in_.u8();
        w_.now = b == 255 ? -1500000000123456789 : w_.now + (b - 100) * 1000000007LL;
        break;
    }
    case Op::Write:
    case Op::Write2: {
        const std::uint32_t s = slot();
        const std::uint64_t i = file();
        const std::uint64_t size = kSizes[in_.u8() % kSizes.size()];
        std::map<std::uint64_t, std::uint64_t> pages;
        for (unsigned n = in_.u8() % 4; n; n--) {
            const std::uint64_t index = in_.u8() % 5;
            pages[index] = page(s);
        }
        w_.write_pages(s, i, size, pages);
        break;
    }
    case Op::Truncate: {
        const std::uint32_t s = slot();
        const std::uint64_t i = file();
        w_.truncate(s, i, kSizes[in_.u8() % kSizes.size()]);
        break;
    }
    case Op::Create:
    case Op::Mkdir:
    case Op::Mknod: {
        static constexpr std::array<std::uint32_t, 4> kNodes = {S_IFCHR | 0600, S_IFBLK | 0660,
                                                                S_IFIFO | 0644, S_IFSOCK | 0755};
        const std::uint32_t s = slot();
        const std::uint64_t d = dir();
        const std::string n = name();
        const std::uint64_t want = new_ino();
        std::uint16_t type = DAXFS_REC_CREATE;
        std::uint32_t mode = S_IFREG | 0644, rdev = 0;
        if (kind == Op::Mkdir) {
            type = DAXFS_REC_MKDIR;
            mode = S_IFDIR | 0755;
        } else if (kind == Op::Mknod) {
            type = DAXFS_REC_MKNOD;
            mode = kNodes[in_.u8() % kNodes.size()];
            rdev = S_ISCHR(mode) || S_ISBLK(mode) ? 0x0803 : 0;
        }
        made(d, n, w_.create(s, type, d, n, mode, rdev, want), mode);
        break;
    }
    case Op::Symlink: {
        static const std::array<std::string, 5> kTargets = {"f", std::string("a\0b", 3),
                                                            std::string(4095, 'x'), "../d/b", "t"};
        const std::uint32_t s = slot();
        const std::uint64_t d = dir();
        const std::string n = name();
        const std::uint64_t want = new_ino();
        const std::string &target = kTargets[in_.u8() % kTargets.size()];
        // Mostly a page of its own holding the target, else another page (as WRITE's).
        const std::uint64_t p = in_.u8() % 4 ? fresh_page(s, target) : page(s);
        link_pages_.push_back(p);
        made(d, n, w_.symlink(s, d, n, target, p, want), S_IFLNK);
        break;
    }
    case Op::Link: {
        const std::uint32_t s = slot();
        const std::uint64_t i = file();
        const std::uint64_t d = dir();
        const std::string n = name();
        w_.link(s, i, d, n);
        names_.push_back({d, n, i});
        break;
    }
    case Op::Unlink:
    case Op::Unlink2: {
        const std::uint32_t s = slot();
        const Name e = entry();
        w_.unlink(s, e.ino, e.parent, e.name);
        break;
    }
    case Op::Rename:
    case Op::Rename2: {
        const std::uint32_t s = slot();
        const Name e = entry();
        const std::uint64_t d = dir();
        const std::string n = name();
        w_.rename(s, e.ino, e.parent, e.name, d, n, in_.u8() % 4);
        names_.push_back({d, n, e.ino});
        break;
    }
    case Op::Setattr: {
        const std::uint32_t s = slot();
        const std::uint64_t i = ino();
        const std::uint32_t valid = in_.u8() & DAXFS_ATTR_SUPP;
        const std::uint32_t mode = in_.u16() & 07777;
        const std::uint32_t uid = in_.u8(), gid = in_.u8();
        const std::int64_t mtime = w_.now + static_cast<std::int8_t>(in_.u8()) * 999999937LL;
        const std::int64_t atime = w_.now + static_cast<std::int8_t>(in_.u8()) * 999999937LL;
        w_.setattr(s, i, valid, mode, uid, gid, mtime, atime);
        break;
    }
    case Op::Count:
        break;
    }
}

} // namespace

const BaseImage &base_image() {
    static const BaseImage base = [] {
        daxfs::Tree tree = base_tree();
        daxfs::find_duplicates(tree);
        daxfs::Layout layout = daxfs::plan_layout(tree, true);
        daxfs::set_delta_size(layout, kDeltaSize);
        daxfs::VectorSink sink;
        daxfs::write_image(tree, layout, sink);
        BaseImage b;
        b.image = std::move(sink.bytes);
        b.inode_count = daxfs::Image(b.image).geo().inode_count;
        return b;
    }();
    return base;
}

void build(std::span<const std::uint8_t> program, Built &out) {
    const std::vector<std::byte> &base = base_image().image;
    out.image.assign(base.begin(), base.end()); // into the memory of the last run
    out.inodes.clear();
    Builder(program, out).run();
}

} // namespace daxfs_fuzz
