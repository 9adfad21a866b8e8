#pragma once
// Go's time.Duration text: ParseDuration's grammar and String()'s output, so that ocis
// values such as OCIS_PERSISTENT_STORE_TTL=336h mean the same here.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eh::config {

namespace detail {

inline constexpr std::uint64_t duration_limit = std::uint64_t{1} << 63; // |min int64|

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr std::optional<std::uint64_t> duration_unit(std::string_view u) noexcept {
    if (u == "ns") return 1;
    if (u == "us" || u == "\u00b5s" || u == "\u03bcs") return 1'000; // micro sign and Greek mu, as Go
    if (u == "ms") return 1'000'000;
    if (u == "s") return 1'000'000'000;
    if (u == "m") return 60'000'000'000;
    if (u == "h") return 3'600'000'000'000;
    return std::nullopt;
}

} // namespace detail

/// time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+` or "0". Empty text, a
/// number without unit ("5"), an unknown unit ("1d") or overflow give nullopt.
constexpr std::optional<std::chrono::nanoseconds> parse_duration(std::string_view s) noexcept {
    using detail::duration_limit;
    using detail::is_digit;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds{0};
    if (s.empty()) return std::nullopt;
    std::uint64_t total = 0;
    while (!s.empty()) {
        if (s[0] != '.' && !is_digit(s[0])) return std::nullopt;
        std::uint64_t whole = 0;
        std::size_t i = 0;
        for (; i < s.size() && is_digit(s[i]); ++i) {
            if (whole > duration_limit / 10) return std::nullopt;
            whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
            if (whole > duration_limit) return std::nullopt;
        }
        bool digits = i > 0;
        s.remove_prefix(i);
        // Fraction digits beyond what fits are ignored, as Go does.
        std::uint64_t fraction = 0;
        double scale = 1;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool full = false;
            for (i = 0; i < s.size() && is_digit(s[i]); ++i) {
                const std::uint64_t next = fraction * 10 + static_cast<std::uint64_t>(s[i] - '0');
                full = full || fraction > (duration_limit - 1) / 10 || next > duration_limit;
                if (full) continue;
                fraction = next;
                scale *= 10;
            }
            digits = digits || i > 0;
            s.remove_prefix(i);
        }
        if (!digits) return std::nullopt;
        for (i = 0; i < s.size() && s[i] != '.' && !is_digit(s[i]); ++i) {
        }
        const auto unit = detail::duration_unit(s.substr(0, i));
        if (!unit) return std::nullopt;
        s.remove_prefix(i);
        if (whole > duration_limit / *unit) return std::nullopt;
        whole *= *unit;
        // A double is exact enough here: a fraction of the largest unit is below 3.6e12 ns.
        whole += static_cast<std::uint64_t>(static_cast<double>(fraction) * (static_cast<double>(*unit) / scale));
        if (whole > duration_limit) return std::nullopt;
        total += whole;
        if (total > duration_limit) return std::nullopt;
    }
    if (negative) return std::chrono::nanoseconds{static_cast<std::int64_t>(0 - total)};
    if (total > duration_limit - 1) return std::nullopt;
    return std::chrono::nanoseconds{static_cast<std::int64_t>(total)};
}

/// time.Duration.String(): "336h0m0s", "1m30s", "1.5s", "300ms", "1µs", "0s".
inline std::string format_duration(std::chrono::nanoseconds d) {
    const bool negative = d.count() < 0;
    std::uint64_t u = static_cast<std::uint64_t>(d.count());
    if (negative) u = 0 - u;
    std::string out; // built backwards, as Go does
    // Writes the last `digits` decimal places of u as a fraction without trailing zeros; returns u without them.
    auto fraction = [&out](std::uint64_t v, int digits) {
        bool print = false;
        for (int i = 0; i < digits; ++i, v /= 10) {
            print = print || v % 10 != 0;
            if (print) out += static_cast<char>('0' + v % 10);
        }
        if (print) out += '.';
        return v;
    };
    auto integer = [&out](std::uint64_t v) {
        do out += static_cast<char>('0' + v % 10);
        while ((v /= 10) != 0);
    };
    if (u < 1'000'000'000) {
        if (u == 0) return "0s";
        out += 's';
        int digits = 0;
        if (u < 1'000) {
            out += 'n';
        } else if (u < 1'000'000) {
            out += "\xb5\xc2"; // "µ" (U+00B5), reversed with the rest
            digits = 3;
        } else {
            out += 'm';
            digits = 6;
        }
        integer(fraction(u, digits));
    } else {
        out += 's';
        u = fraction(u, 9);
        integer(u % 60);
        if ((u /= 60) > 0) {
            out += 'm';
            integer(u % 60);
            if ((u /= 60) > 0) {
                out += 'h';
                integer(u);
            }
        }
    }
    if (negative) out += '-';
    return {out.rbegin(), out.rend()};
}

} // namespace eh::config
