#pragma once
// The user index: a JetStream stream "<bucket>-index" beside the bucket (same max age,
// storage and replicas, direct get allowed), subjects eh-index.<bucket>.>, which an ocis
// reader never opens. Per batch, one message per token of its payloads (eh/index/tokens.hpp):
//   eh-index.<bucket>.t.<token hex>   "#<events with the token so far>" then a line
//                                     "<record key> <timestamp ns>" per event
//   eh-index.<bucket>.a               the same for every event: the candidates when the
//                                     user id has no word characters
// A token's events are the lines of its own literal subject: the server finds those messages
// through its per-subject index, so a lookup reads them and nothing else. The count at the
// head of the last message (direct get, last by subject) tells a reader which token of a
// user id is rarest; it is this writer's count, a hint, never needed for exactness.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eh/index/tokens.hpp"

namespace eh::store::detail::nats_kv {

inline std::string token_hex(index::Token t) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, t >>= 4) s[static_cast<std::size_t>(i)] = digits[t & 15];
    return s;
}

class IndexNames {
public:
    explicit IndexNames(std::string_view bucket)
        : stream_(std::string(bucket) + "-index"), prefix_("eh-index." + std::string(bucket) + "."),
          direct_get_("$JS.API.DIRECT.GET." + stream_) {}

    const std::string& stream() const noexcept { return stream_; }
    std::string wildcard() const { return prefix_ + ">"; }
    std::string token(index::Token t) const { return prefix_ + "t." + token_hex(t); }
    std::string all() const { return prefix_ + "a"; }
    /// A direct get of the last message on subject.
    const std::string& direct_get() const noexcept { return direct_get_; }
    static std::string last_of(std::string_view subject) {
        return R"({"last_by_subj":")" + std::string(subject) + R"("})";
    }

private:
    std::string stream_, prefix_, direct_get_;
};

/// One batch's index messages, by subject, each headed by the count of events so far.
class IndexBatch {
public:
    void add(const std::string& subject, std::string_view rk, std::int64_t ts) {
        std::string& body = lines_[subject];
        body.append(rk).append(" ").append(std::to_string(ts)).append("\n");
    }
    /// Calls f(subject, body) per message; count(subject, lines) gives the count heading it.
    template <class Count, class F>
    void for_each_message(Count&& count, F&& f) const {
        for (const auto& [subject, lines] : lines_) {
            const auto n = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
            f(subject, "#" + std::to_string(count(subject, n)) + "\n" + lines);
        }
    }
    void clear() { lines_.clear(); }

private:
    std::map<std::string, std::string> lines_;
};

/// How many events this writer has seen with each subject (the hint above), in bounded
/// memory: past max_counted subjects the counting starts over.
class SubjectCounts {
public:
    std::uint64_t add(const std::string& subject, std::uint64_t n) {
        if (counts_.size() >= max_counted && !counts_.contains(subject)) counts_.clear();
        return counts_[subject] += n;
    }

private:
    static constexpr std::size_t max_counted = 1 << 20;
    std::unordered_map<std::string, std::uint64_t> counts_;
};

/// The count heading an index message ("#<n>"); 0 when there is none.
inline std::uint64_t head_count(std::string_view body) {
    std::uint64_t n = 0;
    if (body.starts_with('#')) std::from_chars(body.data() + 1, body.data() + body.size(), n);
    return n;
}

/// Calls f(record key, timestamp ns) for each line of an index message.
template <class F>
void for_each_line(std::string_view body, F&& f) {
    while (!body.empty()) {
        const auto end = body.find('\n');
        std::string_view line = body.substr(0, end);
        body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
        const auto space = line.find(' ');
        if (space == std::string_view::npos) continue; // the head
        std::int64_t ts = 0;
        std::from_chars(line.data() + space + 1, line.data() + line.size(), ts);
        f(line.substr(0, space), ts);
    }
}

} // namespace eh::store::detail::nats_kv
