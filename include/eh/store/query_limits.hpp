#pragma once
// The bounds of one query, shared by every store: a query's work grows with its answer and
// stops at these limits, never with the store.
//   - A user id is checked before any work: at most max_user_id_bytes bytes and
//     max_user_id_runs word runs, and at least one word run (an id of punctuation only, such
//     as ":", is bounded by non-word characters in nearly every payload).
//   - An answer holds at most max_events events and max_bytes bytes as a GetEventsResponse
//     (the gRPC message limit ocis's clients have: 4 MiB). Beyond: AnswerTooLarge, no
//     truncation (a cut answer would look complete).
//   - A user query examines at most max_candidates events holding the id's rarest word run
//     (the nats-js-kv store: with those after its index; the memory store checks those not
//     yet indexed besides, which its index lag bounds); beyond: AnswerTooLarge as well. An
//     answer of 4 MiB holds ~6,000 reva events: candidates beyond a few times that would not
//     fit anyway, and each costs a check.
#include <cstddef>
#include <string>
#include <string_view>

#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/tokens.hpp"

namespace eh::store {

struct QueryLimits {
    std::size_t max_events = 50'000;
    std::size_t max_bytes = 4u << 20;
    std::size_t max_candidates = 20'000;
    std::size_t max_user_id_bytes = 256;
    std::size_t max_user_id_runs = 16;
};

namespace detail {
constexpr std::size_t varint_size(std::size_t n) noexcept {
    std::size_t bytes = 1;
    for (; n >= 0x80; n >>= 7) ++bytes;
    return bytes;
}
constexpr std::size_t field_size(std::size_t length) noexcept {
    return length == 0 ? 0 : 1 + varint_size(length) + length; // proto3 leaves empty fields out
}
} // namespace detail

/// The bytes e adds to a GetEventsResponse (protobuf encoding: type, id, event in a
/// length-delimited message of a repeated field).
constexpr std::size_t response_bytes(const Event& e) noexcept {
    const std::size_t inner = detail::field_size(e.type.size()) + detail::field_size(e.id.size()) +
                              detail::field_size(e.payload.size());
    return 1 + detail::varint_size(inner) + inner;
}

/// InvalidQuery unless user is within the limits (see above).
inline void check_user_id(std::string_view user, const QueryLimits& limits) {
    if (user.size() > limits.max_user_id_bytes)
        throw InvalidQuery("the user id has " + std::to_string(user.size()) + " bytes, more than the limit of " +
                           std::to_string(limits.max_user_id_bytes) + " (max_user_id_bytes)");
    std::size_t runs = 0;
    index::for_each_word_run(user, [&](std::string_view) { ++runs; });
    if (runs == 0) throw InvalidQuery("the user id has no word character ([A-Za-z0-9_]): it would match nearly every event");
    if (runs > limits.max_user_id_runs)
        throw InvalidQuery("the user id has " + std::to_string(runs) + " word runs, more than the limit of " +
                           std::to_string(limits.max_user_id_runs) + " (max_user_id_runs)");
}

/// Counts what a query examines and answers; throws AnswerTooLarge at the first limit passed.
class AnswerBudget {
public:
    explicit AnswerBudget(const QueryLimits& limits) noexcept : limits_(limits) {}

    /// n more candidates to examine.
    void examine(std::size_t n = 1) {
        candidates_ += n;
        if (candidates_ > limits_.max_candidates)
            throw AnswerTooLarge("more than " + std::to_string(limits_.max_candidates) +
                                 " events hold a word of the user id (limit max_candidates); ask for a more "
                                 "specific id");
    }

    /// e joins the answer.
    void add(const Event& e) {
        bytes_ += response_bytes(e);
        if (++events_ > limits_.max_events)
            throw AnswerTooLarge("the answer holds more than " + std::to_string(limits_.max_events) +
                                 " events (limit max_events)");
        if (bytes_ > limits_.max_bytes)
            throw AnswerTooLarge("the answer is larger than " + std::to_string(limits_.max_bytes) +
                                 " bytes (limit max_bytes, the gRPC message limit)");
    }

private:
    const QueryLimits& limits_;
    std::size_t candidates_ = 0, events_ = 0, bytes_ = 0;
};

} // namespace eh::store
