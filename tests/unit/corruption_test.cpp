// SPDX-License-Identifier: GPL-2.0 OR MIT
// Targeted corruptions: the validator rejects each with the right errno, and the reader's
// per-access checks refuse the corrupt value without any prior validation.
#include <cerrno>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daxfs/error.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/validate.hpp"
#include "helpers.hpp"

using namespace testing_daxfs;

namespace {

class Corrupt : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "a");
        write_file(dir_ / "a/f", pattern(5000, 1));
        write_file(dir_ / "a/g", pattern(10, 2));
        write_file(dir_ / "b", pattern(100, 3));
        make_dir(dir_ / "c");
        ASSERT_EQ(::mkfifo((dir_ / "p").c_str(), 0644), 0);
        ASSERT_EQ(::symlink("a/f", (dir_ / "s").c_str()), 0);
        img_ = build_image(dir_.path());
        ASSERT_TRUE(daxfs::validate_image(img_).ok);
        pristine_ = img_;
    }

    daxfs::Image pristine() const { return daxfs::Image(pristine_); }
    daxfs_ino pristine_inode(const std::string &path) const { return pristine().lookup(path); }
    std::uint64_t ino(const std::string &path) const { return pristine_inode(path).ino; }

    template <typename T> void edit(std::uint64_t off, const std::function<void(T &)> &f) {
        ASSERT_LE(off + sizeof(T), img_.size());
        T v;
        std::memcpy(&v, img_.data() + off, sizeof(v));
        f(v);
        std::memcpy(img_.data() + off, &v, sizeof(v));
    }

    void edit_super(const std::function<void(daxfs_super &)> &f, bool fix_checksum = true) {
        edit<daxfs_super>(0, [&](daxfs_super &sb) {
            f(sb);
            if (fix_checksum)
                sb.checksum = cpu_to_le32(daxfs_super_csum(&sb));
        });
    }

    std::uint64_t inode_off(std::uint64_t n) const {
        return pristine().geo().inode_off + (n - 1) * sizeof(daxfs_inode);
    }

    void edit_inode(const std::string &path, const std::function<void(daxfs_inode &)> &f) {
        edit<daxfs_inode>(inode_off(ino(path)), f);
    }

    std::uint64_t dirent_off(const std::string &dir, std::uint64_t index) const {
        return pristine_inode(dir).data + index * sizeof(daxfs_dirent);
    }

    // Index of @name in directory @dir of the pristine image.
    std::uint64_t index_of(const std::string &dir, std::string_view name) const {
        const daxfs::Image img = pristine();
        const daxfs_ino d = img.lookup(dir);
        for (std::uint64_t i = 0; i < img.entry_count(d); i++)
            if (img.entry(d, i).name == name)
                return i;
        throw std::runtime_error("no such entry");
    }

    void edit_dirent(const std::string &dir, std::string_view name,
                     const std::function<void(daxfs_dirent &)> &f) {
        edit<daxfs_dirent>(dirent_off(dir, index_of(dir, name)), f);
    }

    void expect_invalid(int err, std::span<const std::byte> region) {
        const daxfs::Validation v = daxfs::validate_image(region);
        EXPECT_FALSE(v.ok);
        EXPECT_EQ(v.err, err) << v.message;
        EXPECT_FALSE(v.message.empty());
    }
    void expect_invalid(int err = EUCLEAN) { expect_invalid(err, img_); }

    // @f, run on the corrupt image without validation, throws daxfs::Error(@err).
    void expect_reader_refuses(const std::function<void(const daxfs::Image &)> &f,
                               int err = EUCLEAN) {
        try {
            const daxfs::Image img(img_);
            f(img);
            ADD_FAILURE() << "the reader accepted the corruption";
        } catch (const daxfs::Error &e) {
            EXPECT_EQ(e.code(), err) << e.what();
        }
    }

    TempDir dir_;
    std::vector<std::byte> img_, pristine_;
};

TEST_F(Corrupt, BadMagicIsNotDaxfs) {
    edit_super([](daxfs_super &sb) { sb.magic = cpu_to_le32(0x12345678); });
    expect_invalid(EINVAL);
    expect_reader_refuses([](const daxfs::Image &) {}, EINVAL);
}

TEST_F(Corrupt, SuperblockChecksum) {
    edit_super([](daxfs_super &sb) { sb.inode_count = cpu_to_le64(2); }, false);
    expect_invalid(EUCLEAN);
    expect_reader_refuses([](const daxfs::Image &) {});
}

TEST_F(Corrupt, UnknownIncompatFeature) {
    edit_super([](daxfs_super &sb) { sb.feature_incompat = cpu_to_le32(0x80000000u); });
    expect_invalid(EOPNOTSUPP);
    expect_reader_refuses([](const daxfs::Image &) {}, EOPNOTSUPP);
}

TEST_F(Corrupt, RegionSmallerThanImage) {
    auto region = std::span<const std::byte>(img_).first(img_.size() - DAXFS_BLOCK_SIZE);
    expect_invalid(EUCLEAN, region);
    EXPECT_THROW(daxfs::Image{region}, daxfs::Error);
}

TEST_F(Corrupt, FileDataBeyondDataArea) {
    const std::uint64_t end = pristine().geo().data_end;
    edit_inode("/a/f", [&](daxfs_inode &in) { in.data = cpu_to_le64(end); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.inode(ino("/a/f")); });
}

TEST_F(Corrupt, FileDataStraddlesEndOfDataArea) {
    const std::uint64_t end = pristine().geo().data_end;
    edit_inode("/a/f", [&](daxfs_inode &in) { in.data = cpu_to_le64(end - DAXFS_BLOCK_SIZE); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/a/f"); });
}

TEST_F(Corrupt, MisalignedFileData) {
    edit_inode("/a/f", [](daxfs_inode &in) { in.data = cpu_to_le64(le64_to_cpu(in.data) + 8); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/a/f"); });
}

TEST_F(Corrupt, DirentsOutOfOrder) {
    daxfs_dirent first, second;
    std::memcpy(&first, img_.data() + dirent_off("/", 0), sizeof(first));
    std::memcpy(&second, img_.data() + dirent_off("/", 1), sizeof(second));
    std::memcpy(img_.data() + dirent_off("/", 0), &second, sizeof(second));
    std::memcpy(img_.data() + dirent_off("/", 1), &first, sizeof(first));
    expect_invalid();
}

TEST_F(Corrupt, DuplicateNames) {
    daxfs_dirent g;
    std::memcpy(&g, img_.data() + dirent_off("/a", index_of("/a", "g")), sizeof(g));
    edit_dirent("/a", "f", [&](daxfs_dirent &de) { std::memcpy(de.name, g.name, sizeof(g.name)); });
    expect_invalid();
}

TEST_F(Corrupt, NameWithSlash) {
    edit_dirent("/", "b", [](daxfs_dirent &de) { de.name[0] = '/'; });
    expect_invalid();
    expect_reader_refuses(
        [&](const daxfs::Image &img) { img.entry(img.root(), index_of("/", "b")); });
}

TEST_F(Corrupt, DotEntry) {
    edit_dirent("/", "b", [](daxfs_dirent &de) { de.name[0] = '.'; });
    expect_invalid();
    expect_reader_refuses(
        [&](const daxfs::Image &img) { img.entry(img.root(), index_of("/", "b")); });
}

TEST_F(Corrupt, NameBytesPastLength) {
    edit_dirent("/", "b", [](daxfs_dirent &de) { de.name[200] = 'z'; });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, InodeNumberZero) {
    edit_dirent("/", "b", [](daxfs_dirent &de) { de.ino = 0; });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, InodeNumberOutOfRange) {
    const auto count = static_cast<std::uint32_t>(pristine().geo().inode_count);
    edit_dirent("/", "b", [&](daxfs_dirent &de) { de.ino = cpu_to_le32(count + 1); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, DirentTypeMismatch) {
    edit_dirent("/", "b", [](daxfs_dirent &de) { de.type = DAXFS_MODE_TO_DT(S_IFDIR); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, DirectoryNamedTwice) {
    const auto c = static_cast<std::uint32_t>(ino("/c"));
    edit_dirent("/", "b", [&](daxfs_dirent &de) {
        de.ino = cpu_to_le32(c);
        de.type = DAXFS_MODE_TO_DT(S_IFDIR);
    });
    expect_invalid();
}

TEST_F(Corrupt, Cycle) {
    edit_dirent("/a", "g", [](daxfs_dirent &de) {
        de.ino = cpu_to_le32(DAXFS_ROOT_INO);
        de.type = DAXFS_MODE_TO_DT(S_IFDIR);
    });
    expect_invalid();
}

TEST_F(Corrupt, UnreachableInode) {
    // A valid FIFO inode appended to the table (whose block has room), named by nothing.
    const std::uint64_t count = pristine().geo().inode_count;
    daxfs_inode fifo;
    std::memcpy(&fifo, img_.data() + inode_off(ino("/p")), sizeof(fifo));
    std::memcpy(img_.data() + inode_off(count + 1), &fifo, sizeof(fifo));
    edit_super([&](daxfs_super &sb) { sb.inode_count = cpu_to_le64(count + 1); });
    const daxfs::Validation v = daxfs::validate_image(img_);
    EXPECT_EQ(v.err, EUCLEAN);
    EXPECT_NE(v.message.find("reachable"), std::string::npos) << v.message;
}

TEST_F(Corrupt, WrongFileNlink) {
    edit_inode("/b", [](daxfs_inode &in) { in.nlink = cpu_to_le32(2); });
    expect_invalid();
}

TEST_F(Corrupt, WrongDirectoryNlink) {
    edit_inode("/c", [](daxfs_inode &in) { in.nlink = cpu_to_le32(3); });
    expect_invalid();
}

TEST_F(Corrupt, ZeroNlink) {
    edit_inode("/b", [](daxfs_inode &in) { in.nlink = 0; });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, WrongParent) {
    edit_inode("/c", [](daxfs_inode &in) { in.parent = cpu_to_le32(2); });
    expect_invalid();
}

TEST_F(Corrupt, SymlinkSizeZero) {
    edit_inode("/s", [](daxfs_inode &in) { in.size = 0; });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/s"); });
}

TEST_F(Corrupt, SymlinkMissingNul) {
    const daxfs_ino s = pristine_inode("/s");
    img_[s.data + s.size] = std::byte{'x'};
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/s"); });
}

TEST_F(Corrupt, NanosecondsOutOfRange) {
    edit_inode("/b", [](daxfs_inode &in) { in.mtime_nsec = cpu_to_le32(1000000000u); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, DeviceNumberOnRegularFile) {
    edit_inode("/b", [](daxfs_inode &in) { in.rdev = cpu_to_le32(0x801); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/b"); });
}

TEST_F(Corrupt, DirectoryOutsideDataArea) {
    const std::uint64_t end = pristine().geo().data_end;
    edit_inode("/a", [&](daxfs_inode &in) { in.data = cpu_to_le64(end - 8); });
    expect_invalid();
    expect_reader_refuses([&](const daxfs::Image &img) { img.lookup("/a/f"); });
}

} // namespace
