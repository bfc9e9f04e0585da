// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/progress.hpp"

#include <string>

namespace daxfs {

ProgressBar::~ProgressBar() {
    if (drawn_)
        std::fputs("\r\033[K", out_);
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100) && done < total)
        return;
    last_ = now;
    drawn_ = true;
    constexpr int width = 40;
    const int pct = total ? static_cast<int>(done * 100 / total) : 100;
    const int fill = pct * width / 100;
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.append(static_cast<std::size_t>(width - fill), ' ');
    std::fprintf(out_, "\r[%s] %3d%% %llu/%llu MiB", bar.c_str(), pct,
                 static_cast<unsigned long long>(done >> 20),
                 static_cast<unsigned long long>(total >> 20));
    std::fflush(out_);
}

} // namespace daxfs
