#pragma once
// Token -> PostingList, open addressing with linear probing in one array. Every event adds
// ~46 lookups (its distinct tokens), mostly of tokens seen before: std::unordered_map
// cost two dependent cache misses (bucket, node) and an allocation per new token; this
// costs one miss and no allocation (PostingList keeps one slot inline).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eh/detail/prefetch.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/memory/posting_list.hpp"

namespace eh::store::detail::memory {

class TokenTable {
public:
    /// t's list, created empty when t is new.
    PostingList& operator[](index::Token t) {
        if ((size_ + 1) * 4 > entries_.size() * 3) grow(); // load <= 3/4
        const index::Token key = stored(t);
        std::size_t i = home(key);
        for (; entries_[i].key != 0; i = (i + 1) & mask_)
            if (entries_[i].key == key) return entries_[i].list;
        ++size_;
        entries_[i].key = key;
        return entries_[i].list;
    }

    const PostingList* find(index::Token t) const noexcept {
        if (entries_.empty()) return nullptr;
        const index::Token key = stored(t);
        for (std::size_t i = home(key); entries_[i].key != 0; i = (i + 1) & mask_)
            if (entries_[i].key == key) return &entries_[i].list;
        return nullptr;
    }

    /// Starts loading t's entry into the cache: lookups in many tables then overlap.
    void prefetch(index::Token t) const noexcept {
        if (!entries_.empty()) eh::detail::prefetch(&entries_[home(stored(t))]);
    }

    void clear() {
        entries_.clear();
        entries_.shrink_to_fit();
        size_ = 0;
        mask_ = 0;
    }

    std::size_t size() const noexcept { return size_; }

private:
    struct Entry {
        index::Token key = 0; // 0: free
        PostingList list;
    };

    /// Key 0 marks a free entry, so token 0 is kept as 1: the two share a list, which only
    /// adds candidates, and every candidate is checked literally.
    static index::Token stored(index::Token t) noexcept { return t == 0 ? 1 : t; }
    /// Tokens are already well-mixed hashes: their low bits pick the entry.
    std::size_t home(index::Token key) const noexcept { return static_cast<std::size_t>(key) & mask_; }

    void grow() {
        std::vector<Entry> old = std::move(entries_);
        entries_ = std::vector<Entry>(old.empty() ? 64 : old.size() * 2);
        mask_ = entries_.size() - 1;
        for (Entry& e : old) {
            if (e.key == 0) continue;
            std::size_t i = home(e.key);
            while (entries_[i].key != 0) i = (i + 1) & mask_;
            entries_[i].key = e.key;
            entries_[i].list = std::move(e.list);
        }
    }

    std::vector<Entry> entries_;
    std::size_t size_ = 0;
    std::size_t mask_ = 0;
};

} // namespace eh::store::detail::memory
