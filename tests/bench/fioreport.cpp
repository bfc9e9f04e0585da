// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-bench fio-report: the table of `tests/bench/run --fio`, computed from fio's JSON.
//
// DIR holds one fio JSON per run, named TEST.FS.ROUND.json (tests/bench/guest-fio.sh),
// tests.txt (the tests in the order they ran) and header.txt (lines printed above the
// table). For each test and filesystem the median over the rounds of fio's aggregated
// read figure (jobs[0], group_reporting) is shown: IOPS for 4 KiB tests, MB/s
// (10^6 bytes/s, fio's bw_bytes) for the others. Ratios are SUBJECT / other, so above
// 1.00 the subject is faster.
#include "bench.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace bench {
namespace {

namespace fs = std::filesystem;

struct Samples {
    std::vector<double> values;      // one per round
    std::map<int, double> by_round;  // the same, by round number
};

double median_of(std::vector<double> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// (max - min) / median, in percent.
double spread_of(const std::vector<double> &v) {
    const double m = median_of(v);
    if (v.empty() || m <= 0)
        return 0;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return 100.0 * (*hi - *lo) / m;
}

std::string num(double v) {
    char b[64];
    if (v >= 100)
        std::snprintf(b, sizeof(b), "%.0f", v);
    else
        std::snprintf(b, sizeof(b), "%.1f", v);
    return b;
}

std::string ratio(double a, double b) {
    if (b <= 0)
        return "-";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", a / b);
    return buf;
}

std::string pad(const std::string &s, std::size_t w, bool right = true) {
    if (s.size() >= w)
        return s;
    const std::string sp(w - s.size(), ' ');
    return right ? sp + s : s + sp;
}

// Reads one run: the figure for the table, IOPS or MB/s by the test's block size.
double read_run(const fs::path &file, bool iops) {
    std::ifstream in(file);
    if (!in)
        throw Error("cannot read " + file.string());
    nlohmann::json j;
    try {
        in >> j;
    } catch (const nlohmann::json::exception &e) {
        throw Error(file.string() + ": not fio JSON (" + e.what() + ")");
    }
    const auto &jobs = j.at("jobs");
    if (jobs.empty())
        throw Error(file.string() + ": no jobs");
    const auto &job = jobs.at(0);
    if (job.value("error", 0) != 0)
        throw Error(file.string() + ": fio reports error " + std::to_string(job.value("error", 0)));
    const auto &rd = job.at("read");
    if (rd.at("io_bytes").get<double>() <= 0)
        throw Error(file.string() + ": no bytes read");
    return iops ? rd.at("iops").get<double>() : rd.at("bw_bytes").get<double>() / 1e6;
}

std::vector<std::string> lines_of(const fs::path &file) {
    std::vector<std::string> out;
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);)
        if (!l.empty())
            out.push_back(l);
    return out;
}

} // namespace

int fio_report(const FioReportOptions &opt, std::ostream &out) {
    const fs::path dir = opt.dir;
    if (!fs::is_directory(dir))
        throw Error("no directory " + dir.string());
    const std::vector<std::string> tests = lines_of(dir / "tests.txt");
    if (tests.empty())
        throw Error(dir.string() + "/tests.txt lists no tests");
    if (std::find(opt.filesystems.begin(), opt.filesystems.end(), opt.subject) ==
        opt.filesystems.end())
        throw Error("the subject " + opt.subject + " is not one of the filesystems");

    // samples[test][fs]
    std::map<std::string, std::map<std::string, Samples>> samples;
    for (const auto &e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".json")
            continue;
        // TEST.FS.ROUND.json; TEST itself holds one dot (JOB.SET).
        const std::string stem = name.substr(0, name.size() - 5);
        const auto r = stem.rfind('.');
        const auto f = r == std::string::npos ? r : stem.rfind('.', r - 1);
        if (f == std::string::npos)
            continue;
        const std::string test = stem.substr(0, f), fsname = stem.substr(f + 1, r - f - 1);
        const bool iops = test.find("-4k") != std::string::npos;
        const double v = read_run(e.path(), iops);
        auto &smp = samples[test][fsname];
        smp.values.push_back(v);
        smp.by_round[std::atoi(stem.substr(r + 1).c_str())] = v;
    }

    for (const auto &l : lines_of(dir / "header.txt"))
        out << l << "\n";
    out << "median of the runs; IOPS for 4 KiB tests, MB/s (10^6 B/s) for 1 MiB tests; ratio "
        << opt.subject << "/X = " << opt.subject
        << " median / X median (above 1.00: " << opt.subject << " faster); spread = (max - min) "
        << "/ median of the noisiest filesystem\n\n";

    std::vector<std::string> others;
    for (const auto &f : opt.filesystems)
        if (f != opt.subject)
            others.push_back(f);
    const std::size_t wtest = 26, wnum = 11;
    std::ostringstream head;
    head << pad("test", wtest, false) << pad("unit", 5) << pad("runs", 5);
    for (const auto &f : opt.filesystems)
        head << pad(f, wnum + 1);
    for (const auto &o : others)
        head << pad(opt.subject + "/" + o, std::max<std::size_t>(wnum, opt.subject.size() + o.size() + 2));
    head << pad("spread", 8);
    out << head.str() << "\n" << std::string(head.str().size(), '-') << "\n";

    int missing = 0;
    for (const auto &t : tests) {
        const auto it = samples.find(t);
        if (it == samples.end()) {
            out << pad(t, wtest, false) << "  (no runs)\n";
            ++missing;
            continue;
        }
        const bool iops = t.find("-4k") != std::string::npos;
        std::map<std::string, double> med;
        double spread = 0;
        std::size_t runs = 0;
        for (const auto &f : opt.filesystems) {
            const auto s = it->second.find(f);
            if (s == it->second.end() || s->second.values.empty()) {
                med[f] = 0;
                ++missing;
                continue;
            }
            med[f] = median_of(s->second.values);
            spread = std::max(spread, spread_of(s->second.values));
            runs = std::max(runs, s->second.values.size());
        }
        std::ostringstream row;
        row << pad(t, wtest, false) << pad(iops ? "IOPS" : "MB/s", 5) << pad(std::to_string(runs), 5);
        for (const auto &f : opt.filesystems)
            row << pad(med[f] > 0 ? num(med[f]) : "-", wnum + 1);
        for (const auto &o : others)
            row << pad(ratio(med[opt.subject], med[o]),
                       std::max<std::size_t>(wnum, opt.subject.size() + o.size() + 2));
        char sp[16];
        std::snprintf(sp, sizeof(sp), "%.0f%%", spread);
        row << pad(sp, 8);
        out << row.str() << "\n";
    }
    if (opt.rounds) {
        // Each round ran every filesystem once, close in time: a ratio within one round
        // compares runs that shared the machine's state of the moment.
        out << "\nper round: " << opt.subject << "/X of the runs of the same round, round 1 2 ...\n";
        for (const auto &t : tests) {
            const auto it = samples.find(t);
            const auto subj = it == samples.end() ? nullptr : &it->second[opt.subject];
            if (!subj)
                continue;
            std::ostringstream row;
            row << pad(t, wtest, false);
            for (const auto &o : others) {
                row << "  " << o << ":";
                for (const auto &[round, v] : subj->by_round) {
                    const auto &ob = it->second[o].by_round;
                    const auto m = ob.find(round);
                    row << " " << (m == ob.end() ? "-" : ratio(v, m->second));
                }
            }
            out << row.str() << "\n";
        }
    }
    if (missing) {
        out << "\n" << missing << " test/filesystem pairs have no runs\n";
        return 1;
    }
    return 0;
}

} // namespace bench
