#pragma once
// Index tokens: the maximal runs of word characters ([A-Za-z0-9_]) of a text, hashed.
//
// Why this is exact: if an id occurs in a payload with a non-word character (or an end) on
// each side, every maximal word run of the id is also a maximal word run of the payload
// there. So the events holding any one run of the id are a superset of the answer, and a
// literal check (contains_bounded) of those candidates gives exactly the scan's answer.
// Hash collisions only add candidates, which that check removes.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>
#include <vector>

#include "eh/detail/ascii.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eh::index {

using Token = std::uint64_t;

namespace detail {
/// The n <= 8 bytes at p as a little-endian word. When `readable` bytes from p may be read,
/// one 8-byte load and a mask instead of a variable-length copy.
constexpr std::uint64_t load_le(const char* p, std::size_t n, std::size_t readable) noexcept {
    std::uint64_t w = 0;
    if (!std::is_constant_evaluated()) {
        if (readable >= 8) {
            std::memcpy(&w, p, 8); // x86 is little-endian
            return n == 8 ? w : w & ((std::uint64_t{1} << (8 * n)) - 1);
        }
        std::memcpy(&w, p, n);
        return w;
    }
    for (std::size_t i = 0; i < n; ++i) w |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return w;
}

/// token_hash of run, which may be followed by readable - run.size() more bytes.
constexpr Token hash_run(std::string_view run, std::size_t readable) noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ run.size();
    for (std::size_t i = 0; i < run.size(); i += 8) {
        h = (h ^ load_le(run.data() + i, std::min<std::size_t>(8, run.size() - i), readable - i)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 29;
    }
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}
} // namespace detail

/// A 64-bit hash of a word run, eight bytes at a time (runs are short: a uuid part, a key).
constexpr Token token_hash(std::string_view run) noexcept { return detail::hash_run(run, run.size()); }

namespace detail {
/// Bit i set: p[i] is a word character, for the n <= 64 bytes at p. With SSE2, 16 bytes per
/// step: tokenizing is most of the memory store's insert, byte-wise it cost ~12 instructions
/// a byte.
inline std::uint64_t word_bits(const char* p, std::size_t n) noexcept {
    std::uint64_t bits = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i digit_lo = _mm_set1_epi8('0' - 1), digit_hi = _mm_set1_epi8('9' + 1);
    const __m128i alpha_lo = _mm_set1_epi8('a' - 1), alpha_hi = _mm_set1_epi8('z' + 1);
    const __m128i case_bit = _mm_set1_epi8(0x20), underscore = _mm_set1_epi8('_');
    for (; i + 16 <= n; i += 16) {
        // Signed compares: bytes >= 0x80 are negative, below every range, so never word bytes.
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i lower = _mm_or_si128(c, case_bit);
        const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, digit_lo), _mm_cmpgt_epi8(digit_hi, c));
        const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, alpha_lo), _mm_cmpgt_epi8(alpha_hi, lower));
        const __m128i word = _mm_or_si128(_mm_or_si128(digit, alpha), _mm_cmpeq_epi8(c, underscore));
        bits |= std::uint64_t(static_cast<std::uint16_t>(_mm_movemask_epi8(word))) << i;
    }
#endif
    for (; i < n; ++i) bits |= std::uint64_t(eh::detail::is_word(p[i])) << i;
    return bits;
}
} // namespace detail

/// Calls f(std::string_view run) for every maximal word run of text, in order.
template <class F>
constexpr void for_each_word_run(std::string_view text, F&& f) {
    const std::size_t n = text.size();
    if (std::is_constant_evaluated()) {
        std::size_t i = 0;
        while (i < n) {
            while (i < n && !eh::detail::is_word(text[i])) ++i;
            std::size_t start = i;
            while (i < n && eh::detail::is_word(text[i])) ++i;
            if (i > start) f(text.substr(start, i - start));
        }
        return;
    }
    // 64 bytes at a time as a bit mask; runs are found by counting zeros, and one may span chunks.
    constexpr std::size_t none = std::string_view::npos;
    std::size_t start = none; // of the run in progress
    for (std::size_t base = 0; base < n; base += 64) {
        const std::size_t len = std::min<std::size_t>(64, n - base);
        const std::uint64_t word = detail::word_bits(text.data() + base, len);
        std::size_t i = 0;
        while (i < len) {
            if (start == none) {
                const std::uint64_t ahead = word >> i;
                if (ahead == 0) break;
                i += static_cast<std::size_t>(std::countr_zero(ahead));
                start = base + i;
            }
            const std::uint64_t ahead = ~word >> i; // bits past len are 0 in word: a run ends there
            if (ahead == 0) break;                  // the run goes on into the next chunk
            i += static_cast<std::size_t>(std::countr_zero(ahead));
            if (base + i >= n) break; // ended by the text's end: reported below
            f(text.substr(start, base + i - start));
            start = none;
        }
    }
    if (start != none) f(text.substr(start));
}

/// Calls f(Token) for the token of every word run of text, in order (repeats included).
template <class F>
void for_each_token(std::string_view text, F&& f) {
    const char* end = text.data() + text.size();
    for_each_word_run(text, [&](std::string_view run) { f(detail::hash_run(run, static_cast<std::size_t>(end - run.data()))); });
}

/// The distinct tokens of text, appended to out (sorted, unique from the appended start).
inline void tokenize(std::string_view text, std::vector<Token>& out) {
    auto start = out.size();
    for_each_token(text, [&](Token t) { out.push_back(t); });
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), out.end());
}

} // namespace eh::index
