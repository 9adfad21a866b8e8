#pragma once
// The indexer's progress, the messages on eh-index.<bucket>.w (index.hpp); the last one is
// the state:
//   "done <b>"                        the index holds every record up to sequence b
//   "pending <a> <b> <owner> <ms>"    owner (one indexer) is indexing records a..b since
//                                     <ms> (Unix milliseconds, for people: the lease is timed
//                                     by the reader's own clock, see indexer.hpp)
// Each is published expecting the w message it follows as the subject's last, so of two
// indexers acting on the same state only one succeeds.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eh::store::detail::nats_kv {

struct Progress {
    /// Records up to this sequence are indexed (for "pending": up to first - 1).
    std::uint64_t done = 0;
    /// A range being indexed: first..last by owner.
    struct Pending {
        std::uint64_t first = 0, last = 0;
        std::string owner;
    };
    std::optional<Pending> pending;

    static std::string done_message(std::uint64_t b) { return "done " + std::to_string(b); }
    static std::string pending_message(std::uint64_t a, std::uint64_t b, std::string_view owner, std::int64_t unix_ms) {
        return "pending " + std::to_string(a) + " " + std::to_string(b) + " " + std::string(owner) + " " +
               std::to_string(unix_ms);
    }

    /// The state a w message says; nullopt when it is none of the above.
    static std::optional<Progress> parse(std::string_view body) {
        auto word = [&body]() {
            body.remove_prefix(std::min(body.find_first_not_of(' '), body.size()));
            const auto end = std::min(body.find(' '), body.size());
            const std::string_view w = body.substr(0, end);
            body.remove_prefix(end);
            return w;
        };
        auto number = [&](std::uint64_t& n) {
            const std::string_view w = word();
            return !w.empty() && std::from_chars(w.data(), w.data() + w.size(), n).ptr == w.data() + w.size();
        };
        Progress p;
        const std::string_view kind = word();
        if (kind == "done") {
            if (number(p.done)) return p;
        } else if (kind == "pending") {
            Pending r;
            if (number(r.first) && number(r.last) && r.first >= 1 && r.first <= r.last) {
                r.owner = std::string(word());
                p.done = r.first - 1;
                p.pending = std::move(r);
                return p;
            }
        }
        return std::nullopt;
    }
};

} // namespace eh::store::detail::nats_kv
