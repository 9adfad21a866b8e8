#pragma once
// The user query's semantics (docs/ocis-contract.md section 2): the user id occurs in the payload
// LITERALLY, with a non-word character (RE2's \W) or the payload's end on each side.
// ocis builds the regex \W<id>\W from the id unescaped; we never interpret the id.
#include <string_view>

#include "eh/detail/ascii.hpp"

namespace eh::index {

constexpr bool contains_bounded(std::string_view haystack, std::string_view needle) noexcept {
    if (needle.empty()) return false;
    for (auto pos = haystack.find(needle); pos != std::string_view::npos; pos = haystack.find(needle, pos + 1)) {
        std::size_t end = pos + needle.size();
        bool left = pos == 0 || !eh::detail::is_word(haystack[pos - 1]);
        bool right = end == haystack.size() || !eh::detail::is_word(haystack[end]);
        if (left && right) return true;
    }
    return false;
}

} // namespace eh::index
