// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/reader.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <sys/stat.h>

#include "daxfs/error.hpp"
#include "daxfs/fd.hpp"
#include "daxfs/path_walk.hpp"
#include "daxfs/physmem.hpp"

namespace daxfs {

namespace {

[[noreturn]] void fail(int err, const daxfs_report &rep) {
    throw Error(-err, rep.msg[0] ? rep.msg : "corrupt image");
}

} // namespace

Image::Image(std::span<const std::byte> region, std::shared_ptr<const void> keep)
    : keep_(std::move(keep)), region_(region) {
    daxfs_report rep{};
    int err = daxfs_check_super(region_.data(), region_.size(), &geo_, &rep);
    if (err)
        fail(err, rep);
}

Image Image::open_file(const std::string &path) {
    auto map = std::make_shared<Mapping>(map_file_readonly(path.c_str()));
    return Image(map->bytes(), map);
}

Image Image::open_phys(std::uint64_t addr, std::uint64_t size) {
    auto map = std::make_shared<Mapping>(map_phys(addr, size, false));
    return Image(map->bytes(), map);
}

daxfs_ino Image::inode(std::uint64_t ino) const {
    daxfs_ino out;
    daxfs_report rep{};
    int err = daxfs_read_inode(region_.data(), &geo_, ino, &out, &rep);
    if (err)
        fail(err, rep);
    return out;
}

std::uint64_t Image::entry_count(const daxfs_ino &dir) const {
    if (!S_ISDIR(dir.mode))
        throw Error(ENOTDIR, fmt::format("inode {} is not a directory", dir.ino));
    return daxfs_dir_count(&dir);
}

Dirent Image::entry(const daxfs_ino &dir, std::uint64_t index) const {
    daxfs_dent de;
    daxfs_report rep{};
    int err = daxfs_read_dirent(region_.data(), &geo_, &dir, index, &de, &rep);
    if (err)
        fail(err, rep);
    return {de.ino, de.type, {de.name, de.name_len}};
}

daxfs_ino Image::child(const Dirent &de) const {
    daxfs_ino in = inode(de.ino);
    if (DAXFS_MODE_TO_DT(in.mode) != de.type)
        throw Error(EUCLEAN, fmt::format("entry for inode {} has the wrong type", de.ino));
    return in;
}

std::optional<Dirent> Image::find(const daxfs_ino &dir, std::string_view name) const {
    if (!S_ISDIR(dir.mode))
        throw Error(ENOTDIR, fmt::format("inode {} is not a directory", dir.ino));
    if (name.size() > DAXFS_NAME_MAX)
        return std::nullopt;
    daxfs_dent de;
    daxfs_report rep{};
    int err = daxfs_dir_find(region_.data(), &geo_, &dir, name.data(),
                             static_cast<u32>(name.size()), &de, &rep);
    if (err == -ENOENT)
        return std::nullopt;
    if (err)
        fail(err, rep);
    return Dirent{de.ino, de.type, {de.name, de.name_len}};
}

daxfs_ino Image::lookup(std::string_view path) const {
    return walk_path(
        path, root(), [](const daxfs_ino &in) { return S_ISDIR(in.mode); },
        [this](const daxfs_ino &in) { return inode(in.parent); },
        [this](const daxfs_ino &in, std::string_view name) -> std::optional<daxfs_ino> {
            auto de = find(in, name);
            if (!de)
                return std::nullopt;
            return child(*de);
        });
}

std::span<const std::byte> Image::file_data(const daxfs_ino &file) const {
    if (!S_ISREG(file.mode))
        throw Error(EINVAL, fmt::format("inode {} is not a regular file", file.ino));
    if (!file.size)
        return {};
    const void *p = daxfs_data_ptr(region_.data(), &geo_, file.data, file.size);
    if (!p)
        throw Error(EUCLEAN, fmt::format("inode {} data lies outside the data area", file.ino));
    return {static_cast<const std::byte *>(p), static_cast<std::size_t>(file.size)};
}

std::string_view Image::link_target(const daxfs_ino &link) const {
    if (!S_ISLNK(link.mode))
        throw Error(EINVAL, fmt::format("inode {} is not a symlink", link.ino));
    const void *p = daxfs_data_ptr(region_.data(), &geo_, link.data, link.size);
    if (!p)
        throw Error(EUCLEAN, fmt::format("inode {} target lies outside the data area", link.ino));
    return {static_cast<const char *>(p), static_cast<std::size_t>(link.size)};
}

} // namespace daxfs
