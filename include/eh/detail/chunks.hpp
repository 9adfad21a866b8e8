#pragma once
// A contiguous range cut into consecutive parts of at most n elements, each a std::span: how
// queries are read and batches written, a bounded part at a time. range-v3's views::chunk
// (C++20's std::views has no chunk).
#include <cstddef>
#include <span>

#include <range/v3/view/chunk.hpp>
#include <range/v3/view/transform.hpp>

namespace eh::detail {

template <class T>
auto chunks(std::span<T> whole, std::size_t n) {
    return whole | ranges::views::chunk(static_cast<std::ptrdiff_t>(n)) |
           ranges::views::transform([](auto part) { return std::span<T>(part.begin(), part.end()); });
}

} // namespace eh::detail
