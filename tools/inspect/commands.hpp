// SPDX-License-Identifier: GPL-2.0 OR MIT
// The subcommands of daxfs-inspect. Each returns the exit status; errors are thrown as
// daxfs::Error.
#pragma once

#include <string>

#include "source.hpp"

namespace inspect {

int cmd_check(const SourceSpec &src, bool json);
int cmd_info(const SourceSpec &src, bool json);
// @branch: the view to read ("main" by default: base plus committed logs).
int cmd_ls(const SourceSpec &src, const std::string &branch, const std::string &path,
           bool long_format);
int cmd_cat(const SourceSpec &src, const std::string &branch, const std::string &path);
int cmd_stat(const SourceSpec &src, const std::string &branch, const std::string &path, bool json);
int cmd_extract(const SourceSpec &src, const std::string &branch, const std::string &dir);
// The log records of a view's chain (main: the committed chain), oldest first.
int cmd_log(const SourceSpec &src, const std::string &branch, bool json);
// Physical ranges an image could go to (no image needed).
int cmd_devices(bool json);

// fsck.daxfs [-n|-y|-f|-a|-p] IMAGE, with fsck(8) exit codes.
int fsck_main(int argc, char **argv);

} // namespace inspect
