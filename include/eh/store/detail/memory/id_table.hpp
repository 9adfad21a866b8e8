#pragma once
// Event id -> slot, open addressing with linear probing in one array of (hash, slot).
// std::unordered_map<std::string_view, slot> cost a node allocation per event and three
// dependent cache misses per lookup (bucket, node, the key's text); here a lookup is one
// miss that can be prefetched for a whole batch, and the id itself is compared only when
// the full 64-bit hash matches. 16 bytes per entry instead of ~64.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "eh/detail/prefetch.hpp"

namespace eh::store::detail::memory {

class IdTable {
public:
    static constexpr std::uint32_t no_slot = UINT32_MAX;

    /// The slot stored under hash for which same(slot) holds (the caller compares the ids).
    template <class Same>
    std::optional<std::uint32_t> find(std::uint64_t hash, Same&& same) const {
        if (entries_.empty()) return std::nullopt;
        for (std::size_t i = home(hash); entries_[i].slot != no_slot; i = next(i))
            if (entries_[i].hash == hash && same(entries_[i].slot)) return entries_[i].slot;
        return std::nullopt;
    }

    /// Adds (hash, slot); the caller made sure the id is not in the table.
    void insert(std::uint64_t hash, std::uint32_t slot) {
        if ((size_ + 1) * 4 > entries_.size() * 3) grow(); // load <= 3/4
        place(hash, slot);
        ++size_;
    }

    /// Removes the entry (hash, slot), if there is one.
    void erase(std::uint64_t hash, std::uint32_t slot) {
        if (entries_.empty()) return;
        std::size_t i = home(hash);
        for (; entries_[i].slot != slot || entries_[i].hash != hash; i = next(i))
            if (entries_[i].slot == no_slot) return;
        // Backward shift: later entries of the probe run move up, so no tombstones pile up.
        for (std::size_t j = next(i);; j = next(j)) {
            if (entries_[j].slot == no_slot) break;
            const std::size_t k = home(entries_[j].hash);
            // Entry j may fill the hole at i only if its home is not in (i, j] cyclically.
            const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (stays) continue;
            entries_[i] = entries_[j];
            i = j;
        }
        entries_[i] = Entry{};
        --size_;
    }

    /// Starts loading hash's entry into the cache.
    void prefetch(std::uint64_t hash) const noexcept {
        if (!entries_.empty()) eh::detail::prefetch(&entries_[home(hash)]);
    }

    std::size_t size() const noexcept { return size_; }

private:
    struct Entry {
        std::uint64_t hash = 0;
        std::uint32_t slot = no_slot; // no_slot: free
    };

    // Fibonacci hashing: the top bits of hash * 2^64/phi. The store picks the shard from the
    // hash's low bits, so the entry must not depend on them alone.
    std::size_t home(std::uint64_t hash) const noexcept {
        return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ull) >> shift_);
    }
    std::size_t next(std::size_t i) const noexcept { return (i + 1) & (entries_.size() - 1); }

    void place(std::uint64_t hash, std::uint32_t slot) {
        std::size_t i = home(hash);
        while (entries_[i].slot != no_slot) i = next(i);
        entries_[i] = {hash, slot};
    }

    void grow() {
        std::vector<Entry> old = std::move(entries_);
        entries_.assign(old.empty() ? 64 : old.size() * 2, Entry{});
        shift_ = 64 - std::countr_zero(entries_.size());
        for (const Entry& e : old)
            if (e.slot != no_slot) place(e.hash, e.slot);
    }

    std::vector<Entry> entries_;
    std::size_t size_ = 0;
    int shift_ = 64;
};

} // namespace eh::store::detail::memory
