// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "log_writer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "daxfs_log.h"

namespace testing_daxfs {

template <typename T> T LogWriter::load(std::uint64_t off) const {
    T v;
    std::memcpy(&v, img_.data() + off, sizeof(v));
    return v;
}

template <typename T> void LogWriter::store(std::uint64_t off, const T &v) {
    std::memcpy(img_.data() + off, &v, sizeof(v));
}

LogWriter::LogWriter(std::vector<std::byte> &image) : img_(image) {
    const auto sb = load<daxfs_super>(0);
    branch_off_ = le64toh(sb.branch_off);
    delta_off_ = le64toh(sb.delta_off);
    delta_pages_ = le64toh(sb.delta_size) / DAXFS_BLOCK_SIZE;
    meta_pages_ = (delta_pages_ * 4 + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE;
    if (!branch_off_)
        throw std::runtime_error("LogWriter needs an image with branches");
}

std::uint64_t LogWriter::page_off(std::uint64_t page) const {
    return delta_off_ + page * DAXFS_BLOCK_SIZE;
}

std::uint64_t LogWriter::alloc(std::uint32_t slot) {
    for (std::uint64_t p = meta_pages_; p < delta_pages_; p++) {
        const std::uint64_t at = delta_off_ + 4 * p;
        if (load<__le32>(at) != DAXFS_OWNER_FREE)
            continue;
        store<__le32>(at, htole32(DAXFS_OWNER(slot)));
        std::memset(img_.data() + page_off(p), 0, DAXFS_BLOCK_SIZE);
        auto live = load<daxfs_live>(DAXFS_SUPER_FIXED_SIZE);
        live.free_pages = htole64(le64toh(live.free_pages) - 1);
        store(DAXFS_SUPER_FIXED_SIZE, live);
        const std::uint64_t b = branch_off_ + slot * sizeof(daxfs_branch);
        auto br = load<daxfs_branch>(b);
        br.pages = htole64(le64toh(br.pages) + 1);
        store(b, br);
        return p;
    }
    throw std::runtime_error("delta region full");
}

std::uint32_t LogWriter::branch(std::string_view name, std::uint32_t parent) {
    for (std::uint32_t s = 1; s < DAXFS_BRANCH_COUNT; s++) {
        const std::uint64_t at = branch_off_ + s * sizeof(daxfs_branch);
        auto br = load<daxfs_branch>(at);
        if (le32toh(br.state) != DAXFS_BRANCH_FREE)
            continue;
        const auto p = load<daxfs_branch>(branch_off_ + parent * sizeof(daxfs_branch));
        const std::uint64_t gen = le64toh(br.generation) + 1;
        std::memset(&br, 0, sizeof(br));
        br.state = htole32(DAXFS_BRANCH_ACTIVE);
        br.parent = htole32(parent);
        br.generation = htole64(gen);
        br.parent_gen = p.generation;
        br.created = htole64(static_cast<std::uint64_t>(now) + s);
        std::memcpy(br.name, name.data(), name.size());
        store(at, br);
        return s;
    }
    throw std::runtime_error("branch table full");
}

void LogWriter::mount(std::uint32_t slot, std::uint64_t beat) {
    const std::uint64_t at = branch_off_ + slot * sizeof(daxfs_branch);
    auto br = load<daxfs_branch>(at);
    br.mounts = htole32(1);
    br.heartbeat = htole64(beat);
    store(at, br);
}

void LogWriter::fold(std::uint32_t slot, std::uint64_t need) {
    const std::uint64_t at = branch_off_ + slot * sizeof(daxfs_branch);
    auto br = load<daxfs_branch>(at);
    br.state = htole32(DAXFS_BRANCH_COMMITTED);
    br.flags = htole32(DAXFS_BRANCH_F_FOLD);
    store(at, br);
    auto live = load<daxfs_live>(DAXFS_SUPER_FIXED_SIZE);
    live.fold_head = htole64(DAXFS_HEAD(slot, le64toh(br.generation)));
    live.fold_need = htole64(need);
    store(DAXFS_SUPER_FIXED_SIZE, live);
}

void LogWriter::reader(std::uint32_t i, std::uint64_t beat, std::uint64_t seen) {
    auto live = load<daxfs_live>(DAXFS_SUPER_FIXED_SIZE);
    live.readers[i].beat = htole64(beat);
    live.readers[i].seen = htole64(seen);
    store(DAXFS_SUPER_FIXED_SIZE, live);
}

void LogWriter::commit(std::uint32_t slot) {
    auto br = load<daxfs_branch>(branch_off_ + slot * sizeof(daxfs_branch));
    auto live = load<daxfs_live>(DAXFS_SUPER_FIXED_SIZE);
    live.main_head = htole64(DAXFS_HEAD(slot, le64toh(br.generation)));
    live.commit_seq = htole64(le64toh(live.commit_seq) + 1);
    store(DAXFS_SUPER_FIXED_SIZE, live);
    for (std::uint32_t s = slot; s != DAXFS_MAIN_SLOT;) {
        const std::uint64_t at = branch_off_ + s * sizeof(daxfs_branch);
        auto b = load<daxfs_branch>(at);
        if (le32toh(b.state) == DAXFS_BRANCH_ACTIVE)
            b.state = htole32(DAXFS_BRANCH_COMMITTED);
        store(at, b);
        s = le32toh(b.parent);
    }
}

void LogWriter::append(std::uint32_t slot, std::vector<std::byte> rec, bool fix_crc) {
    const std::uint64_t at = branch_off_ + slot * sizeof(daxfs_branch);
    auto br = load<daxfs_branch>(at);
    std::uint64_t page = DAXFS_TAIL_PAGE(le64toh(br.log_tail));
    std::uint32_t off = DAXFS_TAIL_OFF(le64toh(br.log_tail));
    if (br.log_tail && !off) { // the tail is the very end of page - 1
        page--;
        off = DAXFS_BLOCK_SIZE;
    }
    if (!br.log_head || off + rec.size() > DAXFS_BLOCK_SIZE) {
        const std::uint64_t fresh = alloc(slot);
        br = load<daxfs_branch>(at); // alloc counted the page
        daxfs_log_page hdr{};
        hdr.owner = htole32(DAXFS_OWNER(slot));
        store(page_off(fresh), hdr);
        if (br.log_head) {
            auto prev = load<daxfs_log_page>(page_off(page));
            prev.next = htole64(fresh);
            store(page_off(page), prev);
        } else {
            br.log_head = htole64(fresh);
        }
        page = fresh;
        off = DAXFS_LOG_START;
    }
    daxfs_rec h;
    std::memcpy(&h, rec.data(), sizeof(h));
    h.seq = htole64(++seq_[slot]);
    h.len = htole16(static_cast<std::uint16_t>(rec.size()));
    std::memcpy(rec.data(), &h, sizeof(h));
    if (fix_crc) {
        h.crc = htole32(daxfs_rec_csum(rec.data(), static_cast<std::uint32_t>(rec.size())));
        std::memcpy(rec.data(), &h, sizeof(h));
    }
    std::memcpy(img_.data() + page_off(page) + off, rec.data(), rec.size());
    last_[slot] = page_off(page) + off;
    off += static_cast<std::uint32_t>(rec.size());
    br.log_tail =
        htole64(off == DAXFS_BLOCK_SIZE ? DAXFS_TAIL(page + 1, 0) : DAXFS_TAIL(page, off));
    store(at, br);
}

std::vector<std::byte> LogWriter::header(std::uint16_t type, std::size_t fixed, std::uint64_t ino,
                                         std::size_t var) {
    std::vector<std::byte> rec((fixed + var + DAXFS_REC_ALIGN - 1) / DAXFS_REC_ALIGN *
                               DAXFS_REC_ALIGN);
    daxfs_rec h{};
    h.type = htole16(type);
    h.ino = htole64(ino);
    h.time = htole64(static_cast<std::uint64_t>(now));
    std::memcpy(rec.data(), &h, sizeof(h));
    return rec;
}

std::uint64_t LogWriter::next_ino() {
    auto live = load<daxfs_live>(DAXFS_SUPER_FIXED_SIZE);
    const std::uint64_t ino = le64toh(live.next_ino);
    live.next_ino = htole64(ino + 1);
    store(DAXFS_SUPER_FIXED_SIZE, live);
    return ino;
}

void LogWriter::write(std::uint32_t slot, std::uint64_t ino, std::uint64_t size,
                      const std::map<std::uint64_t, std::vector<std::byte>> &pages) {
    std::map<std::uint64_t, std::uint64_t> named;
    for (const auto &[index, bytes] : pages) {
        const std::uint64_t p = alloc(slot);
        std::memcpy(img_.data() + page_off(p), bytes.data(),
                    std::min<std::size_t>(bytes.size(), DAXFS_BLOCK_SIZE));
        named.emplace(index, p);
    }
    write_pages(slot, ino, size, named);
}

void LogWriter::write_pages(std::uint32_t slot, std::uint64_t ino, std::uint64_t size,
                            const std::map<std::uint64_t, std::uint64_t> &pages) {
    auto rec = header(DAXFS_REC_WRITE, sizeof(daxfs_rec_write), ino,
                      pages.size() * sizeof(daxfs_rec_page));
    daxfs_rec_write w;
    std::memset(&w, 0, sizeof(w));
    std::memcpy(&w, rec.data(), sizeof(daxfs_rec));
    w.size = htole64(size);
    w.count = htole32(static_cast<std::uint32_t>(pages.size()));
    std::memcpy(rec.data(), &w, sizeof(w));
    std::size_t i = 0;
    for (const auto &[index, page] : pages) {
        const daxfs_rec_page m{htole64(index), htole64(page)};
        std::memcpy(rec.data() + sizeof(w) + i++ * sizeof(m), &m, sizeof(m));
    }
    append(slot, std::move(rec));
}

std::uint64_t LogWriter::log_head(std::uint32_t slot) const {
    return le64toh(load<daxfs_branch>(branch_off_ + slot * sizeof(daxfs_branch)).log_head);
}

void LogWriter::truncate(std::uint32_t slot, std::uint64_t ino, std::uint64_t size) {
    auto rec = header(DAXFS_REC_TRUNCATE, sizeof(daxfs_rec_truncate), ino, 0);
    const __le64 s = htole64(size);
    std::memcpy(rec.data() + offsetof(daxfs_rec_truncate, size), &s, sizeof(s));
    append(slot, std::move(rec));
}

std::uint64_t LogWriter::create(std::uint32_t slot, std::uint16_t type, std::uint64_t parent,
                                std::string_view name, std::uint32_t mode, std::uint32_t rdev,
                                std::uint64_t ino) {
    if (!ino)
        ino = next_ino();
    auto rec = header(type, sizeof(daxfs_rec_create), ino, name.size());
    daxfs_rec_create c{};
    std::memcpy(&c, rec.data(), sizeof(daxfs_rec));
    c.parent = htole64(parent);
    c.mode = htole32(mode);
    c.uid = htole32(1000);
    c.gid = htole32(100);
    c.rdev = htole32(rdev);
    c.name_len = htole16(static_cast<std::uint16_t>(name.size()));
    std::memcpy(rec.data(), &c, sizeof(c));
    std::memcpy(rec.data() + sizeof(c), name.data(), name.size());
    append(slot, std::move(rec));
    return ino;
}

std::uint64_t LogWriter::symlink(std::uint32_t slot, std::uint64_t parent, std::string_view name,
                                 std::string_view target, std::uint64_t page, std::uint64_t ino) {
    if (!ino)
        ino = next_ino();
    if (!page) {
        page = alloc(slot);
        std::memcpy(img_.data() + page_off(page), target.data(), target.size());
    }
    auto rec = header(DAXFS_REC_SYMLINK, sizeof(daxfs_rec_create), ino, name.size());
    daxfs_rec_create c{};
    std::memcpy(&c, rec.data(), sizeof(daxfs_rec));
    c.parent = htole64(parent);
    c.page = htole64(page);
    c.size = htole64(target.size());
    c.mode = htole32(S_IFLNK | 0777);
    c.name_len = htole16(static_cast<std::uint16_t>(name.size()));
    std::memcpy(rec.data(), &c, sizeof(c));
    std::memcpy(rec.data() + sizeof(c), name.data(), name.size());
    append(slot, std::move(rec));
    return ino;
}

namespace {

void put_name(std::vector<std::byte> &rec, std::uint64_t parent, std::string_view name) {
    daxfs_rec_name n{};
    std::memcpy(&n, rec.data(), sizeof(daxfs_rec));
    n.parent = htole64(parent);
    n.name_len = htole16(static_cast<std::uint16_t>(name.size()));
    std::memcpy(rec.data(), &n, sizeof(n));
    std::memcpy(rec.data() + sizeof(n), name.data(), name.size());
}

} // namespace

void LogWriter::link(std::uint32_t slot, std::uint64_t ino, std::uint64_t parent,
                     std::string_view name) {
    auto rec = header(DAXFS_REC_LINK, sizeof(daxfs_rec_name), ino, name.size());
    put_name(rec, parent, name);
    append(slot, std::move(rec));
}

void LogWriter::unlink(std::uint32_t slot, std::uint64_t ino, std::uint64_t parent,
                       std::string_view name) {
    auto rec = header(DAXFS_REC_UNLINK, sizeof(daxfs_rec_name), ino, name.size());
    put_name(rec, parent, name);
    append(slot, std::move(rec));
}

void LogWriter::rename(std::uint32_t slot, std::uint64_t ino, std::uint64_t old_parent,
                       std::string_view old_name, std::uint64_t new_parent,
                       std::string_view new_name, std::uint32_t flags) {
    auto rec =
        header(DAXFS_REC_RENAME, sizeof(daxfs_rec_rename), ino, old_name.size() + new_name.size());
    daxfs_rec_rename r{};
    std::memcpy(&r, rec.data(), sizeof(daxfs_rec));
    r.old_parent = htole64(old_parent);
    r.new_parent = htole64(new_parent);
    r.flags = htole32(flags);
    r.old_len = htole16(static_cast<std::uint16_t>(old_name.size()));
    r.new_len = htole16(static_cast<std::uint16_t>(new_name.size()));
    std::memcpy(rec.data(), &r, sizeof(r));
    std::memcpy(rec.data() + sizeof(r), old_name.data(), old_name.size());
    std::memcpy(rec.data() + sizeof(r) + old_name.size(), new_name.data(), new_name.size());
    append(slot, std::move(rec));
}

void LogWriter::setattr(std::uint32_t slot, std::uint64_t ino, std::uint32_t valid,
                        std::uint32_t mode, std::uint32_t uid, std::uint32_t gid,
                        std::int64_t mtime_ns, std::int64_t atime_ns) {
    auto rec = header(DAXFS_REC_SETATTR, sizeof(daxfs_rec_setattr), ino, 0);
    daxfs_rec_setattr s{};
    std::memcpy(&s, rec.data(), sizeof(daxfs_rec));
    s.valid = htole32(valid);
    s.mode = htole32(mode);
    s.uid = htole32(uid);
    s.gid = htole32(gid);
    s.mtime = htole64(static_cast<std::uint64_t>(mtime_ns));
    s.atime = htole64(static_cast<std::uint64_t>(atime_ns));
    std::memcpy(rec.data(), &s, sizeof(s));
    append(slot, std::move(rec));
}

} // namespace testing_daxfs
