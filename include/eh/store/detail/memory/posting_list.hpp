#pragma once
// The slots of the events that hold one index token. Most tokens (uuids) occur in a single
// event, so one slot is kept inline and only longer lists allocate: this halves the index.
// A token found in a large share of all events (JSON keys, the idp) is "saturated": its list
// is dropped for good, as it would never be the rarest token of a query anyway.
#include <algorithm>
#include <cstdint>
#include <climits>
#include <memory>
#include <utility>

#include "eh/detail/prefetch.hpp"

namespace eh::store::detail::memory {

class PostingList {
public:
    PostingList() noexcept : one_(0) {}
    PostingList(PostingList&& o) noexcept : size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {
        if (capacity_) many_ = o.many_;
        else one_ = o.one_;
    }
    PostingList& operator=(PostingList&& o) noexcept {
        std::swap(size_, o.size_);
        std::swap(capacity_, o.capacity_);
        std::swap(many_, o.many_); // the wider member: carries one_ too
        return *this;
    }
    PostingList(const PostingList&) = delete;
    ~PostingList() {
        if (capacity_ && !saturated()) delete[] many_;
    }

    void push_back(std::uint32_t slot) {
        if (saturated()) return;
        if (size_ == 0 && capacity_ == 0) {
            one_ = slot;
        } else {
            if (size_ == capacity_ || capacity_ == 0) grow();
            many_[size_] = slot;
        }
        ++size_;
    }

    /// Drops the slots; from now on the list stays empty and says it is saturated.
    void saturate() noexcept {
        if (capacity_ && !saturated()) delete[] many_;
        many_ = nullptr;
        size_ = 0;
        capacity_ = saturated_mark;
    }
    bool saturated() const noexcept { return capacity_ == saturated_mark; }

    std::uint32_t size() const noexcept { return size_; }
    /// Starts loading the slots into the cache (a list of its own is one more miss away).
    void prefetch() const noexcept {
        if (capacity_ && !saturated()) eh::detail::prefetch_bytes(many_, size_ * sizeof(std::uint32_t));
    }
    const std::uint32_t* begin() const noexcept { return capacity_ ? many_ : &one_; } // saturated: empty
    const std::uint32_t* end() const noexcept { return begin() + size_; }

private:
    static constexpr std::uint32_t saturated_mark = UINT32_MAX;

    void grow() {
        const std::uint32_t capacity = capacity_ ? capacity_ + capacity_ / 2 : 4;
        auto* bigger = new std::uint32_t[capacity];
        std::copy(begin(), end(), bigger);
        if (capacity_) delete[] many_;
        many_ = bigger;
        capacity_ = capacity;
    }

    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0; // 0: the one slot is inline
    union {
        std::uint32_t one_;
        std::uint32_t* many_;
    };
};

} // namespace eh::store::detail::memory
