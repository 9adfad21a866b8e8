#pragma once
// RFC 3339 timestamps as Go's time.Time marshals them ("2006-01-02T15:04:05.999999999Z07:00").
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "eh/event.hpp"

namespace eh::detail::rfc3339 {

namespace detail {
constexpr bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}
} // namespace detail

/// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; 't'/'z' are accepted as Go does. Any year
/// 0000-9999 parses; what lies outside int64 nanoseconds (before 1677-09-21, after
/// 2262-04-11, e.g. Go's zero time 0001-01-01T00:00:00Z) is clamped to Timestamp::min() or
/// Timestamp::max().
inline std::optional<Timestamp> parse(std::string_view s) noexcept {
    using namespace std::chrono;
    int Y, M, D, h, m, sec;
    if (!detail::digits(s, 0, 4, Y) || s.size() < 20 || s[4] != '-' || !detail::digits(s, 5, 2, M) || s[7] != '-' ||
        !detail::digits(s, 8, 2, D) || (s[10] != 'T' && s[10] != 't') || !detail::digits(s, 11, 2, h) ||
        s[13] != ':' || !detail::digits(s, 14, 2, m) || s[16] != ':' || !detail::digits(s, 17, 2, sec))
        return std::nullopt;
    std::size_t i = 19;
    long long nanos = 0;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        std::size_t start = ++i;
        long long scale = 100'000'000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            nanos += (s[i] - '0') * scale; // digits past nanoseconds are truncated, as in Go
            scale /= 10;
            ++i;
        }
        if (i == start) return std::nullopt;
    }
    int offset_min = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (!detail::digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !detail::digits(s, i + 4, 2, om) ||
            oh > 23 || om > 59)
            return std::nullopt;
        offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size() || h > 23 || m > 59 || sec > 59) return std::nullopt;
    year_month_day ymd{year{Y}, month{static_cast<unsigned>(M)}, day{static_cast<unsigned>(D)}};
    if (!ymd.ok()) return std::nullopt;
    // In seconds first (no year of four digits overflows them), then clamped.
    const std::int64_t secs = (sys_days{ymd} + hours{h} + minutes{m} + seconds{sec} - minutes{offset_min})
                                  .time_since_epoch()
                                  .count();
    constexpr std::int64_t min_secs = Timestamp::min().time_since_epoch().count() / 1'000'000'000 + 1;
    constexpr std::int64_t max_secs = Timestamp::max().time_since_epoch().count() / 1'000'000'000 - 1;
    if (secs < min_secs) return Timestamp::min();
    if (secs > max_secs) return Timestamp::max();
    return Timestamp{nanoseconds{secs * 1'000'000'000 + nanos}};
}

/// Formats as Go's RFC3339Nano in the given UTC offset (trailing zeros of the fraction trimmed).
inline std::string format(Timestamp t, int offset_minutes = 0) {
    using namespace std::chrono;
    auto local = t + minutes{offset_minutes};
    auto day_start = floor<days>(local);
    year_month_day ymd{day_start};
    hh_mm_ss<nanoseconds> tod{local - day_start};
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                          static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                          static_cast<int>(tod.seconds().count()));
    std::string out(buf, static_cast<std::size_t>(n));
    if (auto ns = tod.subseconds().count()) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(ns));
        std::string_view f = frac;
        out += f.substr(0, f.find_last_not_of('0') + 1);
    }
    if (offset_minutes == 0) {
        out += 'Z';
    } else {
        int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
        out += buf;
    }
    return out;
}

} // namespace eh::detail::rfc3339
