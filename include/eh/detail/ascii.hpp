#pragma once
#include <array>
#include <string_view>

namespace eh::detail {

namespace ascii_detail {
constexpr std::array<bool, 256> make_word_table() {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[static_cast<std::size_t>(c)] =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    return t;
}
inline constexpr auto word_table = make_word_table();
} // namespace ascii_detail

/// RE2's \w: ASCII letters, digits and underscore. Every other byte (UTF-8 included) is \W.
constexpr bool is_word(char c) noexcept { return ascii_detail::word_table[static_cast<unsigned char>(c)]; }

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// ASCII case-insensitive equality, as Go's encoding/json matches keys to field names.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

} // namespace eh::detail
