#pragma once
// RFC 4648 standard base64 with '=' padding: what Go's encoding/json uses for []byte.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace eh::detail::base64 {

inline constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::size_t encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// Appends the encoding of in to out.
inline void encode(std::string_view in, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t n = in.size(), start = out.size();
    out.resize(start + encoded_size(n));
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
        *o++ = alphabet[v & 63];
    }
    if (std::size_t rest = n - i) {
        std::uint32_t v = p[i] << 16;
        if (rest == 2) v |= p[i + 1] << 8;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
}

namespace detail {
constexpr std::array<std::int8_t, 256> make_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& x : t) x = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
}
inline constexpr auto table = make_table();
} // namespace detail

/// Appends the decoding of in to out. False when in is not canonical padded base64
/// (Go's decoder rejects the same inputs, except that it skips \r and \n, which we do too).
inline bool decode(std::string_view in, std::string& out) {
    std::size_t start = out.size();
    out.reserve(start + in.size() / 4 * 3);
    std::uint32_t acc = 0;
    int have = 0, pad = 0;
    for (char ch : in) {
        if (ch == '\r' || ch == '\n') continue;
        if (ch == '=') {
            ++pad;
            continue;
        }
        std::int8_t v = detail::table[static_cast<unsigned char>(ch)];
        if (v < 0 || pad) return out.resize(start), false;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        if (++have == 4) {
            out.push_back(static_cast<char>(acc >> 16));
            out.push_back(static_cast<char>(acc >> 8));
            out.push_back(static_cast<char>(acc));
            acc = 0;
            have = 0;
        }
    }
    // A final quantum of 2 or 3 symbols must be padded up to 4, with zero spare bits.
    if (have == 0 && pad == 0) return true;
    if (have == 2 && pad == 2 && (acc & 0xF) == 0) {
        out.push_back(static_cast<char>(acc >> 4));
        return true;
    }
    if (have == 3 && pad == 1 && (acc & 0x3) == 0) {
        out.push_back(static_cast<char>(acc >> 10));
        out.push_back(static_cast<char>(acc >> 2));
        return true;
    }
    out.resize(start);
    return false;
}

} // namespace eh::detail::base64
