#pragma once
// The user index: a JetStream stream "<bucket>-index" beside the bucket (same max age,
// storage and replicas, direct get allowed), subjects eh-index.<bucket>.>, which an ocis
// reader never opens. The indexer (indexer.hpp) fills it from the bucket's own stream, in
// ranges of record sequences:
//   eh-index.<bucket>.w        progress (progress.hpp): the last message says up to which
//                              record sequence the index is complete, or who is indexing
//                              which range right now
//   eh-index.<bucket>.p.<k>    per range, one message per partition k holding postings
//                              (token, record sequence) of the tokens whose hash falls in k
//                              (more, "parts", when one would exceed the server's max
//                              payload); its header Eh-Range names the range and the part
// A user query reads only the partition of its token (the server finds that subject's
// messages through its per-subject index), a 1/partitions share of all postings, in one
// message per range: partition messages are not merged (compacted) yet.
//
// Partition body, little-endian: the range's first sequence (u64), then per token in the
// partition: token (u64), count (u32), count offsets from that first sequence (u32 each).
// A record is written once per token (tokenize() deduplicates); a token once per range, unless
// its postings were split over several bodies (for_each_partition()).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "eh/index/tokens.hpp"

namespace eh::store::detail::nats_kv {

/// Changing it changes where every token is: readers and writers of a bucket must agree.
inline constexpr unsigned partitions = 256;

/// The token's top byte (token_hash() mixes every input bit into it).
constexpr unsigned partition_of(index::Token t) noexcept { return static_cast<unsigned>(t >> 56); }

class IndexNames {
public:
    explicit IndexNames(std::string_view bucket)
        : stream_(std::string(bucket) + "-index"), prefix_("eh-index." + std::string(bucket) + "."),
          direct_get_("$JS.API.DIRECT.GET." + stream_) {}

    const std::string& stream() const noexcept { return stream_; }
    std::string wildcard() const { return prefix_ + ">"; }
    std::string progress() const { return prefix_ + "w"; }
    std::string partition(unsigned k) const { return prefix_ + "p." + std::to_string(k); }
    /// A direct get of the last message on a subject: this subject, with last_of(subject).
    const std::string& direct_get() const noexcept { return direct_get_; }
    static std::string last_of(std::string_view subject) {
        return R"({"last_by_subj":")" + std::string(subject) + R"("})";
    }

private:
    std::string stream_, prefix_, direct_get_;
};

/// The header naming the range of record sequences a partition message indexes, and which
/// part of the range's postings in that partition it holds: "<first>-<last>/<part>".
inline constexpr const char* range_header = "Eh-Range";
inline std::string range_name(std::uint64_t first, std::uint64_t last) {
    return std::to_string(first) + "-" + std::to_string(last);
}
inline std::string part_name(std::string_view range, std::size_t part) {
    return std::string(range) + "/" + std::to_string(part);
}
/// The part of range a header value names; nullopt for another range. A value without a
/// part (written before parts existed) is part 0.
inline std::optional<std::size_t> part_of(std::string_view value, std::string_view range) {
    if (!value.starts_with(range)) return std::nullopt;
    value.remove_prefix(range.size());
    if (value.empty()) return 0;
    std::size_t part = 0;
    if (value[0] != '/' ||
        std::from_chars(value.data() + 1, value.data() + value.size(), part).ptr != value.data() + value.size() ||
        value.size() == 1)
        return std::nullopt;
    return part;
}

namespace postings_detail {
template <class T>
void put_le(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T)); // x86 is little-endian
    out.append(b, sizeof(T));
}
template <class T>
bool get_le(std::string_view& in, T& v) {
    if (in.size() < sizeof(T)) return false;
    std::memcpy(&v, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return true;
}
} // namespace postings_detail

/// One range's postings, split into partition bodies.
class RangePostings {
public:
    explicit RangePostings(std::uint64_t first) : first_(first) {}

    void add(index::Token t, std::uint64_t seq) { postings_.emplace_back(t, static_cast<std::uint32_t>(seq - first_)); }

    /// Calls f(partition, body) for each partition that holds postings, in partition order;
    /// a partition whose postings take more than max_body bytes gets several bodies, one
    /// after the other (a common token's postings, too, are then split: a reader collects a
    /// token's postings from every group it finds).
    template <class F>
    void for_each_partition(std::size_t max_body, F&& f) {
        using postings_detail::put_le;
        constexpr std::size_t group_head = sizeof(index::Token) + sizeof(std::uint32_t);
        std::sort(postings_.begin(), postings_.end(), [](const auto& a, const auto& b) {
            return std::tuple(partition_of(a.first), a.first, a.second) <
                   std::tuple(partition_of(b.first), b.first, b.second);
        });
        std::string body;
        for (std::size_t i = 0; i < postings_.size();) {
            const unsigned k = partition_of(postings_[i].first);
            body.clear();
            put_le(body, first_);
            while (i < postings_.size() && partition_of(postings_[i].first) == k) {
                const index::Token t = postings_[i].first;
                std::size_t end = i;
                while (end < postings_.size() && postings_[end].first == t) ++end;
                while (i < end) { // the token's postings, in as many groups as the bodies need
                    const std::size_t room = max_body > body.size() + group_head ? max_body - body.size() - group_head : 0;
                    if (room < sizeof(std::uint32_t) && body.size() > sizeof first_) {
                        f(k, std::as_const(body));
                        body.resize(sizeof first_);
                        continue;
                    }
                    const std::size_t take = std::min(end - i, std::max<std::size_t>(1, room / sizeof(std::uint32_t)));
                    put_le(body, t);
                    put_le(body, static_cast<std::uint32_t>(take));
                    for (const std::size_t stop = i + take; i < stop; ++i) put_le(body, postings_[i].second);
                }
            }
            f(k, std::as_const(body));
        }
    }

private:
    std::uint64_t first_;
    std::vector<std::pair<index::Token, std::uint32_t>> postings_;
};

/// Calls f(token, record sequence) for each posting of a partition body; false when the
/// body is malformed (the postings before the fault were passed on).
template <class F>
bool for_each_posting(std::string_view body, F&& f) {
    using postings_detail::get_le;
    std::uint64_t first = 0;
    if (!get_le(body, first)) return false;
    while (!body.empty()) {
        index::Token t = 0;
        std::uint32_t n = 0;
        if (!get_le(body, t) || !get_le(body, n) || body.size() / sizeof(std::uint32_t) < n) return false;
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint32_t offset = 0;
            get_le(body, offset);
            f(t, first + offset);
        }
    }
    return true;
}

} // namespace eh::store::detail::nats_kv
