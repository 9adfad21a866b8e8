#pragma once
// RFC 4648 standard base64 with '=' padding: what Go's encoding/json uses for []byte.
#include <array>
#include <cstdint>
#include <cstring>
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

/// table[c] already shifted into place for position k of a quantum, so that a quantum is four
/// lookups and three ORs. Invalid characters set the top byte, which no valid quantum has.
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_shifted() {
    std::array<std::array<std::uint32_t, 256>, 4> t{};
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t c = 0; c < 256; ++c)
            t[k][c] = table[c] < 0 ? 0xFF000000u : static_cast<std::uint32_t>(table[c]) << (18 - 6 * k);
    return t;
}
inline constexpr auto shifted = make_shifted();
} // namespace detail

/// Appends the decoding of in to out. False when in is not canonical padded base64
/// (Go's decoder rejects the same inputs, except that it skips \r and \n, which we do too).
inline bool decode(std::string_view in, std::string& out) {
    const std::size_t start = out.size();
    // Line breaks are rare: decode a copy without them rather than slowing the common path.
    if (std::memchr(in.data(), '\n', in.size()) || std::memchr(in.data(), '\r', in.size())) {
        std::string flat;
        for (char c : in)
            if (c != '\r' && c != '\n') flat.push_back(c);
        return decode(flat, out);
    }
    if (in.size() % 4 != 0) return false;
    std::size_t pad = 0;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
    out.resize(start + in.size() / 4 * 3 + 1); // +1: each quantum is stored as four bytes
    auto* o = reinterpret_cast<unsigned char*>(out.data() + start);
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t full = in.size() / 4 - (pad ? 1 : 0); // quanta without padding
    const auto& t = detail::shifted;
    std::uint32_t bad = 0;
    for (std::size_t q = 0; q < full; ++q, p += 4, o += 3) {
        const std::uint32_t v = t[0][p[0]] | t[1][p[1]] | t[2][p[2]] | t[3][p[3]];
        bad |= v;
        const std::uint32_t be = __builtin_bswap32(v << 8); // the three bytes in order, then one spare
        std::memcpy(o, &be, 4);
    }
    std::int32_t invalid = (bad & 0xFF000000u) ? -1 : 0;
    std::size_t produced = full * 3;
    if (pad) { // the last quantum: "xx==" or "xxx=", with zero spare bits
        const std::int32_t a = detail::table[p[0]], b = detail::table[p[1]],
                           c = pad == 1 ? detail::table[p[2]] : 0;
        invalid |= a | b | c;
        const std::uint32_t v = (static_cast<std::uint32_t>(a) << 18) | (static_cast<std::uint32_t>(b) << 12) |
                                (static_cast<std::uint32_t>(c) << 6);
        if (invalid >= 0 && (pad == 2 ? (v & 0xFFFF) : (v & 0xFF)) != 0) invalid = -1;
        o[0] = static_cast<unsigned char>(v >> 16);
        if (pad == 1) o[1] = static_cast<unsigned char>(v >> 8);
        produced += 3 - pad;
    }
    if (invalid < 0) {
        out.resize(start);
        return false;
    }
    out.resize(start + produced);
    return true;
}

} // namespace eh::detail::base64
