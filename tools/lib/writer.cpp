// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include "daxfs/branch_init.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fd.hpp"
#include "daxfs/hash.hpp"
#include "daxfs_check.h"

namespace daxfs {

namespace {

constexpr std::size_t kChunk = 8u << 20; // bytes of file data gathered per sink write

template <typename T> void put(std::vector<std::byte> &buf, std::uint64_t off, const T &value) {
    std::memcpy(buf.data() + off, &value, sizeof(value));
}

struct daxfs_inode encode_inode(const Node &n, const Layout &l, std::size_t i) {
    struct daxfs_inode raw {};
    raw.mode = cpu_to_le16(static_cast<std::uint16_t>(n.mode));
    raw.nlink = cpu_to_le32(l.nlink[i]);
    raw.uid = cpu_to_le32(n.uid);
    raw.gid = cpu_to_le32(n.gid);
    raw.size = cpu_to_le64(S_ISDIR(n.mode) ? n.entries.size() * sizeof(struct daxfs_dirent)
                                           : (S_ISREG(n.mode) || S_ISLNK(n.mode) ? n.size : 0));
    raw.data = cpu_to_le64(l.data[i]);
    raw.mtime = cpu_to_le64(static_cast<std::uint64_t>(n.mtime.sec));
    raw.ctime = cpu_to_le64(static_cast<std::uint64_t>(n.ctime.sec));
    raw.mtime_nsec = cpu_to_le32(n.mtime.nsec);
    raw.ctime_nsec = cpu_to_le32(n.ctime.nsec);
    raw.rdev = cpu_to_le32(S_ISCHR(n.mode) || S_ISBLK(n.mode) ? n.rdev : 0);
    raw.parent = cpu_to_le32(l.parent[i]);
    return raw;
}

// The inode table, directories and symlink targets: [inode_off, files_off).
std::vector<std::byte> build_metadata(const Tree &tree, const Layout &l) {
    std::vector<std::byte> meta(l.files_off - l.inode_off);
    auto rel = [&](std::uint64_t off) { return off - l.inode_off; };
    for (std::size_t i = 0; i < l.node_of.size(); i++) {
        const Node &n = tree.nodes[l.node_of[i]];
        put(meta, rel(l.inode_off) + i * sizeof(struct daxfs_inode), encode_inode(n, l, i));
        if (S_ISLNK(n.mode)) {
            std::memcpy(meta.data() + rel(l.data[i]), n.target.data(), n.target.size());
        } else if (S_ISDIR(n.mode)) {
            std::uint64_t at = rel(l.data[i]);
            for (const Entry &e : n.entries) {
                struct daxfs_dirent de {};
                de.ino = cpu_to_le32(l.ino_of[e.node]);
                de.name_len = cpu_to_le16(static_cast<std::uint16_t>(e.name.size()));
                de.type = static_cast<std::uint8_t>(DAXFS_MODE_TO_DT(tree.nodes[e.node].mode));
                std::memcpy(de.name, e.name.data(), e.name.size());
                put(meta, at, de);
                at += sizeof(de);
            }
        }
    }
    return meta;
}

// Gathers file contents into large buffers and hands them to the sink in order.
class DataStream {
  public:
    DataStream(Sink &sink, ContentHash &hash, std::uint64_t start, std::uint64_t end,
               const ProgressFn &progress)
        : sink_(sink), hash_(hash), buf_(std::min<std::uint64_t>(kChunk, end - start)), off_(start),
          end_(end), progress_(progress) {}

    void add_file(const Node &n);
    // Zeros up to @off (a gap the layout left before a huge file).
    void skip_to(std::uint64_t off);
    void flush();
    std::uint64_t position() const { return off_ + used_; }

  private:
    std::span<std::byte> room() { return std::span(buf_).subspan(used_); }
    void add_bytes(std::span<const std::byte> bytes);
    void add_path(const std::string &path, std::uint64_t size);
    void pad();

    Sink &sink_;
    ContentHash &hash_;
    std::vector<std::byte> buf_;
    std::size_t used_ = 0;
    std::uint64_t off_; // image offset of buf_[0]
    std::uint64_t end_;
    const ProgressFn &progress_;
};

void DataStream::flush() {
    if (!used_)
        return;
    auto chunk = std::span<const std::byte>(buf_).first(used_);
    hash_.update(chunk);
    sink_.write(off_, chunk);
    off_ += used_;
    used_ = 0;
    if (progress_)
        progress_(off_, end_);
}

void DataStream::add_bytes(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        if (room().empty())
            flush();
        std::size_t take = std::min(bytes.size(), room().size());
        std::memcpy(room().data(), bytes.data(), take);
        used_ += take;
        bytes = bytes.subspan(take);
    }
}

void DataStream::add_path(const std::string &path, std::uint64_t size) {
    UniqueFd fd = open_source(path);
    while (size) {
        if (room().empty())
            flush();
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, room().size()));
        read_exact(fd.get(), room().first(want), path);
        used_ += want;
        size -= want;
    }
}

void DataStream::pad() {
    std::size_t tail = (off_ + used_) % DAXFS_BLOCK_SIZE;
    if (!tail)
        return;
    std::size_t zeros = DAXFS_BLOCK_SIZE - tail; // buf_ is block sized, so this fits
    std::memset(room().data(), 0, zeros);
    used_ += zeros;
}

void DataStream::skip_to(std::uint64_t off) {
    if (off < position())
        throw Error(EINVAL, "file contents overlap in the layout");
    while (position() < off) {
        if (room().empty())
            flush();
        std::size_t zeros =
            static_cast<std::size_t>(std::min<std::uint64_t>(off - position(), room().size()));
        std::memset(room().data(), 0, zeros);
        used_ += zeros;
    }
}

void DataStream::add_file(const Node &n) {
    if (n.source.path.empty()) {
        if (n.source.bytes.size() != n.size)
            throw Error(EINVAL, "file content does not match its size");
        add_bytes(n.source.bytes);
    } else {
        add_path(n.source.path, n.size);
    }
    pad();
}

// One inode per stored content (the first in inode order of those sharing it), in the
// order of the contents' offsets.
std::vector<std::size_t> contents_in_place_order(const Tree &tree, const Layout &l) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < l.node_of.size(); i++) {
        const Node &n = tree.nodes[l.node_of[i]];
        if (S_ISREG(n.mode) && n.size)
            order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return l.data[a] < l.data[b]; });
    auto same_place = [&](std::size_t a, std::size_t b) { return l.data[a] == l.data[b]; };
    order.erase(std::unique(order.begin(), order.end(), same_place), order.end());
    return order;
}

struct daxfs_super build_super(const Layout &l, const ContentHash &hash) {
    struct daxfs_super sb {};
    sb.magic = cpu_to_le32(DAXFS_SUPER_MAGIC);
    sb.version = cpu_to_le32(DAXFS_VERSION);
    sb.block_size = cpu_to_le32(DAXFS_BLOCK_SIZE);
    sb.root_ino = cpu_to_le32(DAXFS_ROOT_INO);
    sb.image_size = cpu_to_le64(l.image_size);
    sb.inode_off = cpu_to_le64(l.inode_off);
    sb.inode_count = cpu_to_le64(l.node_of.size());
    sb.data_off = cpu_to_le64(l.data_off);
    sb.data_size = cpu_to_le64(l.base_size - l.data_off);
    if (l.branching()) {
        sb.feature_incompat = cpu_to_le32(DAXFS_FEATURE_INCOMPAT_BRANCHES |
                                          (l.fold ? DAXFS_FEATURE_INCOMPAT_FOLD : 0));
        sb.branch_off = cpu_to_le64(l.branch_off);
        sb.branch_count = cpu_to_le64(DAXFS_BRANCH_COUNT);
        sb.delta_off = cpu_to_le64(l.delta_off);
        sb.delta_size = cpu_to_le64(l.delta_size);
    }
    auto uuid = hash.uuid();
    std::memcpy(sb.uuid, uuid.data(), sizeof(sb.uuid));
    sb.checksum = cpu_to_le32(daxfs_super_csum(&sb));
    if (l.branching()) { // after the checksum: the live words are not covered by it
        const struct daxfs_live live = initial_live(l);
        std::memcpy(sb.live, &live, sizeof(live));
    }
    return sb;
}

// Branch table and owner table; they are part of the uuid's content like the rest.
void write_branch_area(const Layout &l, Sink &sink, ContentHash &hash) {
    const std::vector<std::byte> table = initial_branch_table();
    hash.update(table);
    sink.write(l.branch_off, table);
    const std::vector<std::byte> owners = initial_owner_table(l);
    hash.update(owners);
    sink.write(l.delta_off, owners);
}

} // namespace

void write_image(const Tree &tree, const Layout &l, Sink &sink, const ProgressFn &progress) {
    sink.reserve(l.image_size);
    ContentHash hash;
    {
        std::vector<std::byte> meta = build_metadata(tree, l);
        hash.update(meta);
        sink.write(l.inode_off, meta);
    }
    if (l.base_size > l.files_off) {
        DataStream data(sink, hash, l.files_off, l.base_size, progress);
        for (std::size_t i : contents_in_place_order(tree, l)) {
            data.skip_to(l.data[i]);
            data.add_file(tree.nodes[l.node_of[i]]);
        }
        data.skip_to(l.base_size);
        data.flush();
    }
    if (l.branching())
        write_branch_area(l, sink, hash);
    const struct daxfs_super sb = build_super(l, hash);
    sink.write(0, std::as_bytes(std::span(&sb, 1)));
    sink.finish();
}

} // namespace daxfs
