// daxfs-corrupt IMAGE -o OUT --seed N [--target T] [--flips K]: writes a damaged copy of a
// valid DAXFS image for the corruption tests. The seed picks everything, so a failure can
// be replayed. Targets:
//   super    bytes of the superblock's fixed part, checksum recomputed (so the kernel gets
//            past the checksum and has to cope with the bad values)
//   rawsuper bytes of the superblock, checksum left stale
//   inodes   bytes of the inode table
//   fields   whole 32/64-bit inode fields set to extreme values (0, ~0, the image size...)
//   dirents  bytes of directory entry arrays
//   any      bytes anywhere in the image
//   mixed    (default) one of the above, chosen by the seed
// Prints one line saying what it changed.
#include "cli.hpp"
#include "fd.hpp"

#include <daxfs_check.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace daxfs::test {
namespace {

std::uint64_t splitmix(std::uint64_t &state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<std::uint8_t> read_file(const std::string &path) {
    Fd fd = open_at(AT_FDCWD, path, O_RDONLY);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw_errno("cannot stat", path);
    std::vector<std::uint8_t> data(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
        if (n <= 0)
            throw_errno("cannot read", path);
        done += static_cast<std::size_t>(n);
    }
    return data;
}

struct Range {
    std::uint64_t begin;
    std::uint64_t end;
};

class Corrupter {
  public:
    Corrupter(std::vector<std::uint8_t> &image, std::uint64_t seed) : img_(image), rng_(seed) {
        daxfs_report rep{};
        if (daxfs_check_super(img_.data(), img_.size(), &geo_, &rep) != 0)
            throw std::runtime_error(std::string("input is not a valid image: ") + rep.msg);
        for (std::uint64_t ino = 1; ino <= geo_.inode_count; ino++) {
            daxfs_ino in{};
            if (daxfs_read_inode(img_.data(), &geo_, ino, &in, &rep) != 0)
                throw std::runtime_error(std::string("input is not a valid image: ") + rep.msg);
            if (S_ISDIR(in.mode) && in.size > 0)
                dirs_.push_back({in.data, in.data + in.size});
        }
    }

    std::string apply(std::string target, unsigned flips) {
        static const std::array<const char *, 6> kinds = {"super",  "rawsuper", "inodes",
                                                          "fields", "dirents",  "any"};
        if (target == "mixed")
            target = kinds[next() % kinds.size()];
        if (flips == 0)
            flips = 1 + static_cast<unsigned>(next() % 4);
        std::string what = target + ":";
        for (unsigned i = 0; i < flips; i++)
            what += " " + one(target);
        if (target == "super") {
            auto *sb = reinterpret_cast<daxfs_super *>(img_.data());
            sb->checksum = cpu_to_le32(daxfs_super_csum(sb));
            what += " (checksum fixed)";
        }
        return what;
    }

  private:
    std::uint64_t next() { return splitmix(rng_); }

    std::uint64_t pick(Range r) { return r.begin + next() % (r.end - r.begin); }

    std::string flip_at(std::uint64_t off) {
        auto mask = static_cast<std::uint8_t>(1 + next() % 255);
        img_[off] ^= mask;
        char buf[48];
        std::snprintf(buf, sizeof(buf), "0x%llx^=0x%02x", static_cast<unsigned long long>(off),
                      mask);
        return buf;
    }

    std::string one(const std::string &target) {
        const Range inodes{geo_.inode_off, geo_.inode_off + geo_.inode_count * 64};
        if (target == "super" || target == "rawsuper") {
            // Skip the checksum field itself for "super": it is recomputed anyway.
            std::uint64_t off;
            do
                off = next() % DAXFS_SUPER_FIXED_SIZE;
            while (target == "super" && off >= 8 && off < 12);
            if (next() % 2 == 0)
                off = next() % 120; // the fields, not the reserved zeros
            return flip_at(off);
        }
        if (target == "inodes")
            return flip_at(pick(inodes));
        if (target == "dirents") {
            if (dirs_.empty())
                return flip_at(pick(inodes));
            return flip_at(pick(dirs_[next() % dirs_.size()]));
        }
        if (target == "fields")
            return set_field(inodes);
        if (target == "any")
            return flip_at(next() % img_.size());
        throw std::invalid_argument("unknown target '" + target + "'");
    }

    // Sets one aligned field of a random inode to an extreme value.
    std::string set_field(Range inodes) {
        const std::uint64_t ino = next() % geo_.inode_count;
        const std::uint64_t base = inodes.begin + ino * 64;
        // (offset, width) of daxfs_inode's fields.
        static const std::array<std::pair<unsigned, unsigned>, 13> fields = {{
            {0, 2},
            {2, 2},
            {4, 4},
            {8, 4},
            {12, 4},
            {16, 8},
            {24, 8},
            {32, 8},
            {40, 8},
            {48, 4},
            {52, 4},
            {56, 4},
            {60, 4},
        }};
        auto [off, width] = fields[next() % fields.size()];
        const std::uint64_t values[] = {
            0,
            ~0ULL,
            geo_.image_size,
            geo_.image_size - 1,
            geo_.image_size + 4096,
            geo_.data_off,
            1ULL << 63,
            geo_.inode_count + 1,
            4096,
            next(),
        };
        std::uint64_t v = values[next() % std::size(values)];
        for (unsigned i = 0; i < width; i++)
            img_[base + off + i] = static_cast<std::uint8_t>(v >> (8 * i));
        char buf[80];
        std::snprintf(buf, sizeof(buf), "ino%llu+%u=0x%llx",
                      static_cast<unsigned long long>(ino + 1), off,
                      static_cast<unsigned long long>(v));
        return buf;
    }

    std::vector<std::uint8_t> &img_;
    std::uint64_t rng_;
    daxfs_geo geo_{};
    std::vector<Range> dirs_;
};

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Write a damaged copy of a valid DAXFS image (for corruption tests).",
                 "daxfs-corrupt"};
    std::string in;
    std::string out;
    std::uint64_t seed = 0;
    std::string target = "mixed";
    unsigned flips = 0;
    app.add_option("IMAGE", in, "A valid image")->required();
    app.add_option("-o,--output", out, "Where to write the damaged copy")->required();
    app.add_option("--seed", seed, "Seed: picks the target, places and values")->required();
    app.add_option("--target", target, "super|rawsuper|inodes|fields|dirents|any|mixed")
        ->check(CLI::IsMember({"super", "rawsuper", "inodes", "fields", "dirents", "any", "mixed"}))
        ->capture_default_str();
    app.add_option("--flips", flips, "Changes to make (default: 1 to 4, from the seed)");
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    try {
        auto image = read_file(in);
        std::uint64_t state = seed;
        Corrupter corrupter(image, splitmix(state));
        std::string what = corrupter.apply(target, flips);
        write_file(out, image);
        std::printf("seed %llu: %s\n", static_cast<unsigned long long>(seed), what.c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "daxfs-corrupt: %s\n", e.what());
        return 1;
    }
    return 0;
}
