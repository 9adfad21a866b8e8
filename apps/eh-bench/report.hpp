#pragma once
// The result table: each figure with the ceiling or floor measured in the same run, their
// ratio, the target and whether it holds. Printed as text, written as CSV, plotted by gnuplot.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eh_bench {

/// A bound on a row's ratio ("ratio >= bound" when at_least, else "<="), or on its value
/// itself where the target is absolute (e.g. "p50 <= 10 ms").
struct Target {
    enum class Of { ratio, value };
    double bound = 0;
    bool at_least = true;
    Of of = Of::ratio;
    std::string text(const std::string& unit) const {
        std::ostringstream s;
        s << (at_least ? ">= " : "<= ") << bound;
        if (of == Of::value) s << ' ' << unit;
        return s.str();
    }
    bool holds(double x) const { return at_least ? x >= bound : x <= bound; }
};

struct Row {
    std::string figure;
    double value = 0;
    std::string unit;
    std::optional<double> reference; ///< the ceiling, floor or baseline measured in the same run
    std::string reference_name;      ///< what the reference is, e.g. "raw consumer"
    std::optional<Target> target;    ///< on ratio = value / reference

    std::optional<double> ratio() const {
        if (!reference || *reference == 0) return std::nullopt;
        return value / *reference;
    }
    std::optional<bool> pass() const {
        if (!target) return std::nullopt;
        if (target->of == Target::Of::value) return target->holds(value);
        const auto r = ratio();
        if (!r) return std::nullopt;
        return target->holds(*r);
    }
};

/// One point of the user-query plot: latency against store size.
struct UserQueryPoint {
    std::size_t stored = 0;
    double p50_ms = 0, p99_ms = 0, ocis_scan_ms = 0;
};

class Report {
public:
    void add(Row row) {
        print_row(std::cout, row);
        std::cout.flush();
        rows_.push_back(std::move(row));
    }
    void add_point(UserQueryPoint p) { points_.push_back(p); }
    const std::vector<Row>& rows() const noexcept { return rows_; }

    void print(std::ostream& out) const {
        out << "\n" << header() << "\n";
        for (const auto& r : rows_) print_row(out, r);
    }

    void write_csv(const std::string& file) const {
        std::ofstream out(file);
        out << "figure,value,unit,reference,reference_name,ratio,target,pass\n";
        for (const auto& r : rows_) {
            out << '"' << r.figure << "\"," << r.value << ',' << r.unit << ',';
            if (r.reference) out << *r.reference;
            out << ",\"" << r.reference_name << "\",";
            if (auto x = r.ratio()) out << *x;
            out << ',' << (r.target ? r.target->text(r.unit) : "") << ',';
            if (auto p = r.pass()) out << (*p ? "pass" : "FAIL");
            out << '\n';
        }
        if (!out) throw std::runtime_error("cannot write " + file);
    }

    /// A PNG of user-query latency against store size (log-log), via gnuplot.
    void write_plot(const std::string& png) const {
        if (points_.empty()) return;
        const std::string data = png + ".dat";
        {
            std::ofstream out(data);
            for (const auto& p : points_)
                out << p.stored << ' ' << p.p50_ms << ' ' << p.p99_ms << ' ' << p.ocis_scan_ms << '\n';
        }
        const std::string script =
            "set terminal pngcairo size 800,500; set output '" + png +
            "'; set logscale xy; set grid; set key top left;"
            " set xlabel 'stored events'; set ylabel 'GetEventsForUser latency (ms)';"
            " set title 'User query, about 50 events per user: index vs the ocis scan';"
            " plot '" + data + "' using 1:2 with linespoints title 'index p50', '" + data +
            "' using 1:3 with linespoints title 'index p99', '" + data +
            "' using 1:4 with linespoints title 'ocis scan (regex over every event) p50'";
        const std::string command = "gnuplot -e \"" + script + "\"";
        const int status = std::system(command.c_str());
        std::remove(data.c_str());
        if (status != 0) throw std::runtime_error("gnuplot failed (is gnuplot-nox installed?)");
    }

private:
    static std::string header() {
        std::ostringstream s;
        s << std::left << std::setw(46) << "figure" << std::right << std::setw(14) << "value" << "  " << std::left
          << std::setw(8) << "unit" << std::right << std::setw(14) << "ceiling/floor" << "  " << std::left
          << std::setw(32) << "(of)" << std::right << std::setw(9) << "ratio" << std::setw(9) << "target"
          << std::setw(6) << "";
        return s.str();
    }
    static void print_row(std::ostream& out, const Row& r) {
        out << std::left << std::setw(46) << r.figure << std::right << std::setw(14) << number(r.value) << "  "
            << std::left << std::setw(8) << r.unit << std::right << std::setw(14)
            << (r.reference ? number(*r.reference) : "") << "  " << std::left << std::setw(32) << r.reference_name
            << std::right << std::setw(9) << (r.ratio() ? number(*r.ratio()) : "") << std::setw(9)
            << (r.target ? r.target->text(r.unit) : "");
        if (auto p = r.pass()) out << (*p ? "  pass" : "  FAIL");
        out << '\n';
    }
    static std::string number(double v) {
        std::ostringstream s;
        if (v >= 100) s << std::fixed << std::setprecision(0) << v;
        else if (v >= 1) s << std::fixed << std::setprecision(2) << v;
        else s << std::setprecision(3) << v;
        return s.str();
    }

    std::vector<Row> rows_;
    std::vector<UserQueryPoint> points_;
};

} // namespace eh_bench
