// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/dedup.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <vector>

#include "daxfs/fd.hpp"
#include "daxfs/hash.hpp"

namespace daxfs {

namespace {

constexpr std::size_t kPiece = 256u << 10;

// Hands out a file's content piece by piece, from memory or from its path.
class ContentReader {
  public:
    explicit ContentReader(const Node &n) : node_(n), left_(n.size) {
        if (!n.source.path.empty()) {
            fd_ = open_source(n.source.path);
            buf_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, n.size)));
        }
    }

    // The next piece, empty at the end.
    std::span<const std::byte> next() {
        auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, kPiece));
        const std::uint64_t at = node_.size - left_;
        left_ -= take;
        if (node_.source.path.empty())
            return node_.source.bytes.subspan(static_cast<std::size_t>(at), take);
        auto piece = std::span(buf_).first(take);
        read_exact(fd_.get(), piece, node_.source.path);
        return piece;
    }

  private:
    const Node &node_;
    std::uint64_t left_;
    UniqueFd fd_;
    std::vector<std::byte> buf_;
};

std::array<std::uint8_t, 16> content_hash(const Node &n) {
    ContentHash h;
    ContentReader r(n);
    for (auto piece = r.next(); !piece.empty(); piece = r.next())
        h.update(piece);
    return h.uuid();
}

bool same_content(const Node &a, const Node &b) {
    ContentReader ra(a), rb(b);
    for (auto pa = ra.next(); !pa.empty(); pa = ra.next()) {
        auto pb = rb.next();
        if (std::memcmp(pa.data(), pb.data(), pa.size()))
            return false;
    }
    return true;
}

} // namespace

void find_duplicates(Tree &tree) {
    std::map<std::uint64_t, std::vector<std::uint32_t>> by_size;
    for (std::uint32_t i = 0; i < tree.nodes.size(); i++) {
        const Node &n = tree.nodes[i];
        if (S_ISREG(n.mode) && n.size)
            by_size[n.size].push_back(i);
    }
    std::uint32_t next_id = 1;
    for (const auto &[size, group] : by_size) {
        if (group.size() < 2)
            continue;
        std::vector<std::pair<std::array<std::uint8_t, 16>, std::uint32_t>> hashed;
        for (std::uint32_t i : group)
            hashed.emplace_back(content_hash(tree.nodes[i]), i);
        std::sort(hashed.begin(), hashed.end());
        for (std::size_t a = 0; a < hashed.size();) {
            std::size_t b = a + 1;
            while (b < hashed.size() && hashed[b].first == hashed[a].first)
                b++;
            // Within one hash, the first node of each distinct content is its copy.
            std::vector<std::uint32_t> firsts;
            for (std::size_t k = a; k < b; k++) {
                Node &n = tree.nodes[hashed[k].second];
                for (std::uint32_t f : firsts) {
                    if (same_content(tree.nodes[f], n)) {
                        if (!tree.nodes[f].same_data)
                            tree.nodes[f].same_data = next_id++;
                        n.same_data = tree.nodes[f].same_data;
                        break;
                    }
                }
                if (!n.same_data)
                    firsts.push_back(hashed[k].second);
            }
            a = b;
        }
    }
}

} // namespace daxfs
