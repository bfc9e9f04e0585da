// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/record_text.hpp"

#include <fmt/format.h>
#include <string_view>

namespace daxfs {

namespace {

std::string_view name(const char *p, std::uint32_t len) { return {p, len}; }

} // namespace

std::string record_type_name(std::uint32_t type) {
    static const char *const names[] = {"?",     "WRITE", "TRUNCATE", "CREATE", "MKDIR",  "SYMLINK",
                                        "MKNOD", "LINK",  "UNLINK",   "RENAME", "SETATTR"};
    return type <= DAXFS_REC_TYPE_MAX ? names[type] : fmt::format("type {}", type);
}

std::string record_text(const daxfs_lrec &r) {
    std::string s =
        fmt::format("seq {} {} ino {} time {}", r.seq, record_type_name(r.type), r.ino, r.time);
    switch (r.type) {
    case DAXFS_REC_WRITE:
        s += fmt::format(" size {} pages", r.size);
        for (std::uint32_t i = 0; i < r.count; i++) {
            std::uint64_t index, page;
            daxfs_lrec_page(&r, i, &index, &page);
            s += fmt::format(" {}:{}", index, page);
        }
        break;
    case DAXFS_REC_TRUNCATE:
        s += fmt::format(" size {}", r.size);
        break;
    case DAXFS_REC_CREATE:
    case DAXFS_REC_MKDIR:
    case DAXFS_REC_SYMLINK:
    case DAXFS_REC_MKNOD:
        s += fmt::format(" parent {} name '{}' mode 0{:o} uid {} gid {}", r.parent,
                         name(r.name, r.name_len), r.mode, r.uid, r.gid);
        if (r.type == DAXFS_REC_SYMLINK)
            s += fmt::format(" target page {} size {}", r.page, r.size);
        if (r.rdev)
            s += fmt::format(" rdev 0x{:x}", r.rdev);
        break;
    case DAXFS_REC_LINK:
    case DAXFS_REC_UNLINK:
        s += fmt::format(" parent {} name '{}'", r.parent, name(r.name, r.name_len));
        break;
    case DAXFS_REC_RENAME:
        s += fmt::format(" from {}/'{}' to {}/'{}' flags {}", r.parent, name(r.name, r.name_len),
                         r.new_parent, name(r.new_name, r.new_name_len), r.flags);
        break;
    case DAXFS_REC_SETATTR:
        s += fmt::format(" valid 0x{:x}", r.valid);
        if (r.valid & DAXFS_ATTR_MODE)
            s += fmt::format(" mode 0{:o}", r.mode);
        if (r.valid & DAXFS_ATTR_UID)
            s += fmt::format(" uid {}", r.uid);
        if (r.valid & DAXFS_ATTR_GID)
            s += fmt::format(" gid {}", r.gid);
        if (r.valid & DAXFS_ATTR_MTIME)
            s += fmt::format(" mtime {}", r.mtime);
        if (r.valid & DAXFS_ATTR_ATIME)
            s += fmt::format(" atime {}", r.atime);
        break;
    default:
        break;
    }
    return s;
}

nlohmann::json record_json(const daxfs_lrec &r) {
    nlohmann::json j = {{"seq", r.seq},
                        {"type", record_type_name(r.type)},
                        {"ino", r.ino},
                        {"time", r.time},
                        {"len", r.len}};
    switch (r.type) {
    case DAXFS_REC_WRITE: {
        j["size"] = r.size;
        nlohmann::json pages = nlohmann::json::array();
        for (std::uint32_t i = 0; i < r.count; i++) {
            std::uint64_t index, page;
            daxfs_lrec_page(&r, i, &index, &page);
            pages.push_back({{"index", index}, {"page", page}});
        }
        j["pages"] = pages;
        break;
    }
    case DAXFS_REC_TRUNCATE:
        j["size"] = r.size;
        break;
    case DAXFS_REC_CREATE:
    case DAXFS_REC_MKDIR:
    case DAXFS_REC_SYMLINK:
    case DAXFS_REC_MKNOD:
        j["parent"] = r.parent;
        j["name"] = std::string(name(r.name, r.name_len));
        j["mode"] = r.mode;
        j["uid"] = r.uid;
        j["gid"] = r.gid;
        j["rdev"] = r.rdev;
        if (r.type == DAXFS_REC_SYMLINK) {
            j["page"] = r.page;
            j["size"] = r.size;
        }
        break;
    case DAXFS_REC_LINK:
    case DAXFS_REC_UNLINK:
        j["parent"] = r.parent;
        j["name"] = std::string(name(r.name, r.name_len));
        break;
    case DAXFS_REC_RENAME:
        j["old_parent"] = r.parent;
        j["old_name"] = std::string(name(r.name, r.name_len));
        j["new_parent"] = r.new_parent;
        j["new_name"] = std::string(name(r.new_name, r.new_name_len));
        j["flags"] = r.flags;
        break;
    case DAXFS_REC_SETATTR:
        j["valid"] = r.valid;
        j["mode"] = r.mode;
        j["uid"] = r.uid;
        j["gid"] = r.gid;
        j["mtime"] = r.mtime;
        j["atime"] = r.atime;
        break;
    default:
        break;
    }
    return j;
}

} // namespace daxfs
