// SPDX-License-Identifier: GPL-2.0 OR MIT
// The human-readable table and the tab-separated results.
#include "bench.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace bench {
namespace {

std::string fmt(const char *f, double v) {
    char b[64];
    std::snprintf(b, sizeof(b), f, v);
    return b;
}

std::string pad(const std::string &s, std::size_t w, bool right) {
    if (s.size() >= w)
        return s;
    const std::string sp(w - s.size(), ' ');
    return right ? sp + s : s + sp;
}

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

double rate(double work, std::int64_t ns) {
    return ns > 0 ? work / (static_cast<double>(ns) / 1e9) : 0.0;
}

// Spread of the samples around their median, in percent: (max - min) / median.
double spread(const std::vector<std::int64_t> &v) {
    const std::int64_t m = median(v);
    if (v.empty() || m == 0)
        return 0;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return 100.0 * static_cast<double>(*hi - *lo) / static_cast<double>(m);
}

} // namespace

void print_table(std::ostream &out, const ReportHeader &hdr, const Target &base,
                 const Target &subject, const std::vector<Result> &results) {
    for (const std::string &l : hdr.lines)
        out << l << "\n";
    out << "ratio = " << base.name << " time / " << subject.name << " time (median of "
        << (results.empty() ? 0 : results.front().base_ns.size()) << " samples each): > 1.00 means "
        << subject.name << " is faster\n\n";

    const std::vector<std::size_t> w = {14, 46, 10, 10, 7, 10, 10, 7, 6, 6};
    const std::vector<std::string> head = {"test",
                                           "work per sample",
                                           base.name + " ms",
                                           subject.name + " ms",
                                           "unit",
                                           base.name,
                                           subject.name,
                                           "spread",
                                           "ratio",
                                           "best"};
    std::string line;
    for (std::size_t i = 0; i < head.size(); i++)
        line += pad(head[i], w[i], i >= 2 && i != 4) + (i + 1 < head.size() ? "  " : "");
    out << line << "\n" << std::string(line.size(), '-') << "\n";

    std::vector<std::string> notes;
    for (const Result &r : results) {
        const std::int64_t mb = median(r.base_ns), mt = median(r.subject_ns);
        const double ratio = mt > 0 ? static_cast<double>(mb) / static_cast<double>(mt) : 0;
        const double sp = std::max(spread(r.base_ns), spread(r.subject_ns));
        const std::int64_t bb = *std::min_element(r.base_ns.begin(), r.base_ns.end());
        const std::int64_t bt = *std::min_element(r.subject_ns.begin(), r.subject_ns.end());
        const double best = bt > 0 ? static_cast<double>(bb) / static_cast<double>(bt) : 0;
        std::string name = r.test;
        if (!r.note.empty()) {
            auto it = std::find(notes.begin(), notes.end(), r.note);
            if (it == notes.end()) {
                notes.push_back(r.note);
                it = notes.end() - 1;
            }
            name += std::string(static_cast<std::size_t>(it - notes.begin()) + 1, '*');
        }
        const std::vector<std::string> cells = {name,
                                                r.what,
                                                fmt("%.1f", ms(mb)),
                                                fmt("%.1f", ms(mt)),
                                                r.unit,
                                                fmt("%.1f", rate(r.work, mb)),
                                                fmt("%.1f", rate(r.work, mt)),
                                                fmt("%.0f%%", sp),
                                                fmt("%.2f", ratio),
                                                fmt("%.2f", best)};
        line.clear();
        for (std::size_t i = 0; i < cells.size(); i++)
            line += pad(cells[i], w[i], i >= 2 && i != 4) + (i + 1 < cells.size() ? "  " : "");
        out << line << "\n";
    }
    out << "\nspread = (slowest - fastest) / median of the samples of the noisier target; "
           "best = ratio of the fastest samples\n(interference from other work on the host "
           "only ever adds time, so 'best' is the steadier figure when spread is high).\n";
    for (std::size_t i = 0; i < notes.size(); i++)
        out << std::string(i + 1, '*') << " " << notes[i] << "\n";
}

void write_tsv(std::ostream &out, const Target &base, const Target &subject,
               const std::vector<Result> &results) {
    out << "test\twork\tunit\tamount\t" << base.name << "_median_ns\t" << subject.name
        << "_median_ns\tratio\t" << base.name << "_samples_ns\t" << subject.name << "_samples_ns\n";
    auto join = [](const std::vector<std::int64_t> &v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); i++)
            s += (i ? "," : "") + std::to_string(v[i]);
        return s;
    };
    for (const Result &r : results) {
        const std::int64_t mb = median(r.base_ns), mt = median(r.subject_ns);
        out << r.test << "\t" << r.what << "\t" << r.unit << "\t" << r.work << "\t" << mb << "\t"
            << mt << "\t"
            << fmt("%.3f", mt > 0 ? static_cast<double>(mb) / static_cast<double>(mt) : 0.0) << "\t"
            << join(r.base_ns) << "\t" << join(r.subject_ns) << "\n";
    }
}

} // namespace bench
