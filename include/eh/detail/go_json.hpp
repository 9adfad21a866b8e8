#pragma once
// JSON string output byte-identical to Go's encoding/json (json.Marshal, HTML escaping on,
// Go >= 1.22 short escapes for \b and \f), so records we write equal records ocis writes.
#include <cstdint>
#include <string>
#include <string_view>

namespace eh::detail::go_json {

namespace detail {
inline constexpr char hex[] = "0123456789abcdef";

inline void u_escape(std::string& out, unsigned cp) {
    out += "\\u";
    out += hex[(cp >> 12) & 0xF];
    out += hex[(cp >> 8) & 0xF];
    out += hex[(cp >> 4) & 0xF];
    out += hex[cp & 0xF];
}

/// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid (Go then writes U+FFFD).
inline std::size_t utf8_len(std::string_view s, std::size_t i) noexcept {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (c > 0xF4 || n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    if (n == 3 && ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xED && b(i + 1) >= 0xA0))) return 0; // overlong, surrogate
    if (n == 4 && ((c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90))) return 0; // overlong, > U+10FFFF
    return n;
}
} // namespace detail

/// Appends s as a quoted JSON string.
inline void quote(std::string_view s, std::string& out) {
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '<':
            case '>':
            case '&': detail::u_escape(out, c); break;
            default:
                if (c < 0x20) detail::u_escape(out, c);
                else out.push_back(static_cast<char>(c));
            }
            ++i;
            continue;
        }
        std::size_t n = detail::utf8_len(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
        } else if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
            detail::u_escape(out, 0x2028 | (static_cast<unsigned char>(s[i + 2]) & 1)); // U+2028, U+2029
            i += 3;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    out.push_back('"');
}

} // namespace eh::detail::go_json
