#pragma once
// RFC 4648 standard base64 with '=' padding: what Go's encoding/json uses for []byte.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/// lo <= c <= hi per byte (signed compares: bytes >= 0x80 never are).
__attribute__((target("avx2"))) inline __m256i in_range(__m256i c, char lo, char hi) {
    return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                            _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), c));
}
__attribute__((target("avx2"))) inline __m256i offset_if(__m256i where, int offset) {
    return _mm256_and_si256(where, _mm256_set1_epi8(static_cast<char>(offset)));
}

/// Decodes 32 characters at a time into 24 bytes while all are in the alphabet (no padding
/// here); returns the characters consumed. The payload's base64 is ~60% of an envelope;
/// this takes about a third of the table loop's time (1040 characters: 0.26-0.52 us against
/// 0.89-1.35 us here). Writes up to 8 bytes past the last block's 24: the caller leaves room.
__attribute__((target("avx2"))) inline std::size_t decode_blocks_avx2(const unsigned char* in, std::size_t n,
                                                                     unsigned char* out) {
    std::size_t done = 0;
    for (; done + 32 <= n; done += 32, out += 24) {
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + done));
        const __m256i upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z'), digit = in_range(c, '0', '9');
        const __m256i plus = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('+'));
        const __m256i slash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('/'));
        const __m256i valid = _mm256_or_si256(_mm256_or_si256(upper, lower), _mm256_or_si256(_mm256_or_si256(digit, plus), slash));
        if (_mm256_movemask_epi8(valid) != -1) break; // padding or an error: the scalar loop decides
        // The 6-bit value of each character: c + offset of its range.
        const __m256i offset = _mm256_or_si256(
            _mm256_or_si256(offset_if(upper, -'A'), offset_if(lower, 26 - 'a')),
            _mm256_or_si256(_mm256_or_si256(offset_if(digit, 52 - '0'), offset_if(plus, 62 - '+')), offset_if(slash, 63 - '/')));
        const __m256i v = _mm256_add_epi8(c, offset);
        // Pairs to 12 bits (first * 64 + second), pairs of those to 24 bits, per 32-bit lane.
        const __m256i pairs = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
        const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
        // Each lane's three bytes, most significant first, packed to 12 bytes per 128-bit half,
        // then the halves joined: 24 bytes.
        const __m256i bytes = _mm256_shuffle_epi8(
            quads, _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
                                    13, 12, -1, -1, -1, -1));
        const __m256i joined = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), joined);
    }
    return done;
}

inline bool has_avx2() noexcept {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif
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
    out.resize(start + in.size() / 4 * 3 + 8); // +8: blocks store 32 bytes for 24, quanta 4 for 3
    auto* o = reinterpret_cast<unsigned char*>(out.data() + start);
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t full = in.size() / 4 - (pad ? 1 : 0); // quanta without padding
    std::size_t q = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (detail::has_avx2()) {
        const std::size_t chars = detail::decode_blocks_avx2(p, full * 4, o);
        q = chars / 4;
        p += chars;
        o += chars / 4 * 3;
    }
#endif
    const auto& t = detail::shifted;
    std::uint32_t bad = 0;
    for (; q < full; ++q, p += 4, o += 3) {
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
