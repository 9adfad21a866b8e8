#pragma once
// A contiguous range cut into consecutive parts of at most n elements, each a std::span: how
// queries are read and batches written, a bounded part at a time. range-v3's views::chunk
// (C++20's std::views has no chunk).
#include <algorithm>
#include <cstddef>
#include <span>

#include <range/v3/view/chunk.hpp>
#include <range/v3/view/transform.hpp>

namespace eh::detail {

/// Parts of at most n elements (n = 0 counts as 1: range-v3 leaves a chunk of 0 undefined).
template <class T>
auto chunks(std::span<T> whole, std::size_t n) {
    return whole | ranges::views::chunk(static_cast<std::ptrdiff_t>(std::max<std::size_t>(n, 1))) |
           ranges::views::transform([](auto part) { return std::span<T>(part.begin(), part.end()); });
}

} // namespace eh::detail
