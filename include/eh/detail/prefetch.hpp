#pragma once
// Software prefetch that the optimiser keeps. GCC treats __builtin_prefetch as free of side
// effects and deletes loops made only of it (the memory store's payload prefetches were
// compiled to an empty loop); an asm statement is never deleted.
#include <algorithm>
#include <cstddef>

namespace eh::detail {

inline constexpr std::size_t cache_line = 64;

/// Starts loading the cache line holding p. Never faults, whatever p is.
inline void prefetch(const void* p) noexcept {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
    asm volatile("" : : "r"(p) : "memory");
#endif
}

/// Starts loading every line of [p, p + n), up to `most` bytes.
inline void prefetch_bytes(const void* p, std::size_t n, std::size_t most = 4096) noexcept {
    const char* c = static_cast<const char*>(p);
    const std::size_t end = std::min(n, most);
    // The line of the last byte too: a range rarely starts on a line boundary.
    for (std::size_t at = 0; at < end; at += cache_line) prefetch(c + at);
    if (end > 0) prefetch(c + end - 1);
}

} // namespace eh::detail
