// SHA-256 of a file's contents, read either with read(2) or through mmap(2).
#pragma once

#include <cstdint>
#include <string>

namespace daxfs::test {

// Lowercase hex SHA-256 of everything read(2) returns from FD until end of file.
// Throws std::system_error on a read error.
std::string sha256_read(int fd, const std::string &path);

// Hashes SIZE bytes of FD mapped with MAP_PRIVATE and again with MAP_SHARED. Returns the
// hex digest when both agree, "private=<hex>,shared=<hex>" when they differ. A SIGBUS
// while reading a mapping throws std::runtime_error (the caller reports it as an error).
std::string sha256_mmap(int fd, std::uint64_t size, const std::string &path);

} // namespace daxfs::test
