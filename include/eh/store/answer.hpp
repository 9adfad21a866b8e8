#pragma once
// What every store's answers have in common, defined once:
//   - GetEventsForUser answers are ordered oldest first, ties by id: an order each store can
//     give whatever order it found the events in, so the same events give the same answer
//     from every store.
//   - A stored value that does not decode (another service's key in a shared database, a
//     record of another format) is skipped, not an error.
#include <algorithm>
#include <tuple>
#include <vector>

#include "eh/event.hpp"

namespace eh::store {

/// Whether a comes before b in a GetEventsForUser answer: by timestamp, then by id.
inline bool before_in_user_answer(const Event& a, const Event& b) {
    return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id);
}

/// Puts a GetEventsForUser answer in its order (before_in_user_answer).
inline void order_user_answer(std::vector<Event>& events) {
    std::sort(events.begin(), events.end(), before_in_user_answer);
}

/// Decodes one more event onto found with decode(Event&) -> bool; false, and found as it
/// was, when the value is not an event.
template <class Decode>
bool append_decoded(std::vector<Event>& found, Decode&& decode) {
    if (decode(found.emplace_back())) return true;
    found.pop_back();
    return false;
}

} // namespace eh::store
