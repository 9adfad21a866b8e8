#pragma once
// Index tokens: the maximal runs of word characters ([A-Za-z0-9_]) of a text, hashed.
//
// Why this is exact: if an id occurs in a payload with a non-word character (or an end) on
// each side, every maximal word run of the id is also a maximal word run of the payload
// there. So the events holding any one run of the id are a superset of the answer, and a
// literal check (contains_bounded) of those candidates gives exactly the scan's answer.
// Hash collisions only add candidates, which that check removes.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <string_view>
#include <vector>

#include "eh/detail/ascii.hpp"

namespace eh::index {

using Token = std::uint64_t;

namespace detail {
/// Up to eight bytes as a little-endian word.
constexpr std::uint64_t load_le(const char* p, std::size_t n) noexcept {
    std::uint64_t w = 0;
    if (!std::is_constant_evaluated()) {
        std::memcpy(&w, p, n); // x86 is little-endian
        return w;
    }
    for (std::size_t i = 0; i < n; ++i) w |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return w;
}
} // namespace detail

/// A 64-bit hash of a word run, eight bytes at a time (runs are short: a uuid part, a key).
constexpr Token token_hash(std::string_view run) noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ run.size();
    for (std::size_t i = 0; i < run.size(); i += 8) {
        h = (h ^ detail::load_le(run.data() + i, std::min<std::size_t>(8, run.size() - i))) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 29;
    }
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/// Calls f(std::string_view run) for every maximal word run of text, in order.
template <class F>
constexpr void for_each_word_run(std::string_view text, F&& f) {
    std::size_t i = 0, n = text.size();
    while (i < n) {
        while (i < n && !eh::detail::is_word(text[i])) ++i;
        std::size_t start = i;
        while (i < n && eh::detail::is_word(text[i])) ++i;
        if (i > start) f(text.substr(start, i - start));
    }
}

/// The distinct tokens of text, appended to out (sorted, unique from the appended start).
inline void tokenize(std::string_view text, std::vector<Token>& out) {
    auto start = out.size();
    for_each_word_run(text, [&](std::string_view run) { out.push_back(token_hash(run)); });
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), out.end());
}

} // namespace eh::index
