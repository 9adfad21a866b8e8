#pragma once
// The indexer: follows the bucket's stream (KV_<bucket>) in sequence order and indexes every
// record in it, ours or one ocis wrote, into the index stream (index.hpp). Every store runs
// one on a thread of its own; several (daemons sharing a bucket) take turns by range:
//
// 1. Read the last progress message (progress.hpp) and the bucket's last sequence L.
// 2. "done b" and L > b: claim the next range b+1..min(L, b+range) by publishing "pending"
//    expecting that "done" as the subject's last message: of several indexers one wins, the
//    others' publish fails (10071) and they start over at 1. A range shorter than `range` is
//    claimed only once the indexer has seen it waiting for `gather`: each range adds a
//    message to up to 256 partition subjects, and a query reads all of its partition's, so
//    a trickle of events must not make a range of each.
// 3. Index the range: read its records by sequence (a missing one was deleted or replaced:
//    skipped), tokenize their payloads, publish one message per partition holding postings,
//    then "done <last>" expecting the "pending" as the last message.
// 4. "pending" of another owner: wait; once the same message has stood for a lease (timed by
//    this indexer's clock: no clocks compared across hosts), take the range over.
//
// Each posting is stored once, with no dedupe window: ranges are indexed in order, one owner
// at a time, and every partition message is published expecting the partition subject's last
// message as known to this indexer (from its own pub acks, else read). So a message is never
// written twice: if the expected one is not the last any more, the partition is read again,
// and a last message naming this range (Eh-Range) means it is written already (by an owner
// killed mid-range, or one whose lease ran out while it was still writing) and is skipped.
//
// Records are decoded as ocis's StoreEvent (the bucket's layout), whatever codec a caller of
// the store uses.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>


#include "eh/codec/ocis_store_event.hpp"
#include "eh/detail/background_priority.hpp"
#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/pacing.hpp"
#include "eh/detail/thread_name.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/tokens.hpp"
#include "eh/log.hpp"
#include "eh/store/detail/nats_kv/index.hpp"
#include "eh/store/detail/nats_kv/keys.hpp"
#include "eh/store/detail/nats_kv/pipeline.hpp"
#include "eh/store/detail/nats_kv/progress.hpp"
#include "eh/store/detail/nats_kv/record.hpp"
#include "eh/store/detail/nats_kv/replies.hpp"

namespace eh::store::detail::nats_kv {

struct IndexerOptions {
    std::uint64_t range = 4096;                 ///< records per range at most
    std::chrono::milliseconds lease{10'000};    ///< how long a "pending" may stand before others take over
    std::chrono::milliseconds gather{1'000};    ///< how long a range may wait to fill up
    std::chrono::milliseconds idle{50};         ///< poll interval when caught up or waiting
    std::chrono::milliseconds timeout{5'000};   ///< for all replies of one round
    /// While this instance's put() wrote within give_way, no new range is claimed unless the
    /// index lags by max_lag records or more: a burst is stored first, indexed after.
    std::chrono::milliseconds give_way{250};
    std::uint64_t max_lag = 50'000;
};

class Indexer {
public:
    static constexpr std::uint64_t read_chunk = 256; ///< records read at once
    /// last_put: when this instance's put() last wrote (steady clock ticks), read to give way.
    /// pipeline: on client's connection.
    Indexer(const eh::detail::nats::Client& client, const Pipeline& pipeline, Keys keys, IndexNames names,
            const std::atomic<std::int64_t>& last_put, IndexerOptions options = {})
        : client_(client), pipeline_(pipeline), keys_(std::move(keys)), names_(std::move(names)), last_put_(last_put), options_(options),
          owner_(random_owner()) {}

    /// Indexes until stop is requested, at the lowest CPU priority; errors are logged
    /// (throttled) and retried.
    void run(std::stop_token stop) {
        eh::detail::name_this_thread("eh-kv-index");
        eh::detail::lower_this_thread_priority();
        std::mutex m;
        std::condition_variable_any wake;
        eh::detail::Throttle error_log{std::chrono::seconds{10}};
        while (!stop.stop_requested()) {
            auto pause = options_.idle;
            try {
                if (step()) continue;
            } catch (const std::exception& e) { // StoreError, or anything else: the thread must not end
                if (error_log.due()) eh::logger()->warn("nats-js-kv index of {}: {}; retrying", keys_.bucket(), e.what());
                pause *= 20;
            }
            std::unique_lock lock(m);
            wake.wait_for(lock, stop, pause, [] { return false; });
        }
    }

    /// One move of the protocol above; true when it changed the index (call again at once).
    bool step() {
        if (!client_.connected()) return false;
        auto replies = run({{names_.direct_get(), IndexNames::last_of(names_.progress())}, {keys_.stream_info(), {}}});
        const auto w_seq = direct_get_sequence(replies[0]).value_or(0);
        const auto bucket = stream_range(replies[1].data());
        if (!bucket) throw StoreError("reading the stream info of KV_" + keys_.bucket() + ": " + std::string(replies[1].data()));
        Progress state; // with no progress message yet: from the bucket's first record
        state.done = bucket->first > 0 ? bucket->first - 1 : 0;
        if (w_seq != 0) {
            const auto read = Progress::parse(replies[0].data());
            if (!read) throw StoreError("unreadable index progress: " + std::string(replies[0].data()));
            state = *read;
        }
        if (w_seq != my_last_w_) known_.fill(std::nullopt); // others wrote meanwhile

        std::uint64_t first = 0, last = 0;
        if (state.pending) {
            first = state.pending->first;
            last = state.pending->last;
            if (state.pending->owner != owner_ && !pending_seen_.for_at_least(w_seq, options_.lease)) return false;
        } else {
            first = std::max(state.done + 1, bucket->first); // older records expired
            last = std::min(bucket->last, state.done + options_.range);
            if (first > last) return false; // caught up
            if (writing() && bucket->last - state.done < options_.max_lag) return false;
            if (last - first + 1 < options_.range && !short_range_seen_.for_at_least(first, options_.gather))
                return false;
        }
        const auto pending = publish_progress(Progress::pending_message(first, last, owner_, unix_ms()), w_seq);
        if (pending) index_range(first, last, *pending);
        return true;
    }

private:
    bool writing() const {
        const std::chrono::steady_clock::duration since_epoch{last_put_.load(std::memory_order_relaxed)};
        return std::chrono::steady_clock::now() - std::chrono::steady_clock::time_point(since_epoch) < options_.give_way;
    }

    std::vector<eh::detail::nats::Message> run(const std::vector<Request>& requests) const {
        return pipeline_.run(requests, options_.timeout);
    }

    /// Whether the same thing (a pending message's sequence, a range's start) has been seen
    /// for a while, by this indexer's clock.
    class Seen {
    public:
        bool for_at_least(std::uint64_t what, std::chrono::milliseconds d) {
            const auto now = std::chrono::steady_clock::now();
            if (what != what_) {
                what_ = what;
                since_ = now;
            }
            return now - since_ >= d;
        }

    private:
        std::uint64_t what_ = 0;
        std::chrono::steady_clock::time_point since_{};
    };

    /// Publishes a progress message after the one with sequence after; its sequence, or
    /// nullopt when another indexer wrote one first.
    std::optional<std::uint64_t> publish_progress(std::string body, std::uint64_t after) {
        const Request r{names_.progress(), std::move(body), after};
        const auto ack = pub_ack(run({r})[0].data());
        if (ack.wrong_last_sequence) return std::nullopt;
        if (!ack.seq) throw StoreError("writing " + r.subject + " \"" + r.payload + "\": no stream answered");
        my_last_w_ = *ack.seq;
        return ack.seq;
    }

    void index_range(std::uint64_t first, std::uint64_t last, std::uint64_t pending_seq) {
        RangePostings postings(first);
        Event e;
        std::vector<index::Token> tokens;
        std::vector<Request> gets;
        // The records a chunk at a time: a range of large records must not sit in memory whole.
        for (std::uint64_t from = first; from <= last; from += read_chunk) {
            gets.clear();
            for (std::uint64_t seq = from; seq <= std::min(last, from + read_chunk - 1); ++seq)
                gets.push_back({keys_.stream_direct_get(), Keys::by_sequence(seq)});
            for (const auto& reply : run(gets)) {
                const auto seq = direct_get_sequence(reply); // none: deleted or replaced since
                if (!seq || !decode_record_event(reply.data(), codec_, e)) continue;
                tokens.clear();
                index::tokenize(e.payload, tokens);
                for (const auto t : tokens) postings.add(t, *seq);
            }
        }
        // One message per partition, or more when one would exceed what the server takes.
        std::vector<Partition> bodies;
        postings.for_each_partition(max_body(), [&](unsigned k, const std::string& body) {
            if (bodies.empty() || bodies.back().k != k) bodies.push_back({k});
            bodies.back().parts.push_back(body);
        });
        write_partitions(bodies, range_name(first, last));
        publish_progress(Progress::done_message(last), pending_seq); // nullopt: taken over, the taker finishes
    }

    /// A partition's messages of one range, written in order.
    struct Partition {
        unsigned k;
        std::vector<std::string> parts;
        std::size_t next = 0; ///< the first part not known to be written
    };

    /// The largest partition body: the server's max payload, less room for the headers.
    std::size_t max_body() const {
        constexpr std::int64_t header_room = 1024;
        return static_cast<std::size_t>(std::max<std::int64_t>(natsConnection_GetMaxPayload(client_.get()) - header_room,
                                                                header_room));
    }

    /// Publishes each partition's parts, skipping those whose partition's last message says
    /// they are written already.
    void write_partitions(std::vector<Partition>& bodies, const std::string& range) {
        for (int conflicts = 0;;) {
            learn_last(bodies, range);
            std::vector<std::size_t> todo;
            std::vector<Request> publishes;
            for (std::size_t i = 0; i < bodies.size(); ++i) {
                Partition& p = bodies[i];
                if (p.next == p.parts.size()) continue;
                todo.push_back(i);
                publishes.push_back({names_.partition(p.k), p.parts[p.next], known_[p.k], {{range_header, part_name(range, p.next)}}});
            }
            if (todo.empty()) return;
            const auto acks = run(publishes);
            bool conflict = false;
            for (std::size_t j = 0; j < acks.size(); ++j) {
                Partition& p = bodies[todo[j]];
                const auto ack = pub_ack(acks[j].data());
                known_[p.k] = ack.seq;
                if (ack.seq) {
                    ++p.next;
                } else if (ack.wrong_last_sequence) {
                    conflict = true;
                } else {
                    throw StoreError("writing " + publishes[j].subject + ": " +
                                     (acks[j].data().empty() ? "no stream answered" : std::string(acks[j].data())));
                }
            }
            if (conflict && ++conflicts == 5)
                throw StoreError("index partitions of range " + range + " keep changing under this indexer");
        }
    }

    /// Reads the last message of each unfinished partition whose last sequence is unknown;
    /// when it is a part of this range, the parts up to it are written already.
    void learn_last(std::vector<Partition>& bodies, const std::string& range) {
        std::vector<std::size_t> unknown;
        std::vector<Request> gets;
        for (std::size_t i = 0; i < bodies.size(); ++i) {
            if (known_[bodies[i].k] || bodies[i].next == bodies[i].parts.size()) continue;
            unknown.push_back(i);
            gets.push_back({names_.direct_get(), IndexNames::last_of(names_.partition(bodies[i].k))});
        }
        if (gets.empty()) return;
        const auto lasts = run(gets);
        for (std::size_t j = 0; j < lasts.size(); ++j) {
            Partition& p = bodies[unknown[j]];
            known_[p.k] = direct_get_sequence(lasts[j]).value_or(0); // 0: no message yet
            if (const auto part = part_of(header(lasts[j], range_header), range))
                p.next = std::min(std::max(p.next, *part + 1), p.parts.size());
        }
    }

    static std::string random_owner() {
        std::random_device rd;
        const std::uint64_t n = (std::uint64_t{rd()} << 32) | rd();
        static constexpr char digits[] = "0123456789abcdef";
        std::string s(16, '0');
        for (int i = 0; i < 16; ++i) s[static_cast<std::size_t>(i)] = digits[(n >> (4 * i)) & 15];
        return s;
    }
    static std::int64_t unix_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    const eh::detail::nats::Client& client_;
    const Pipeline& pipeline_;
    Keys keys_;
    IndexNames names_;
    const std::atomic<std::int64_t>& last_put_;
    IndexerOptions options_;
    std::string owner_;
    eh::codec::OcisStoreEvent codec_;
    std::uint64_t my_last_w_ = 0;                                  ///< the last progress message this indexer wrote
    std::array<std::optional<std::uint64_t>, partitions> known_{}; ///< each partition subject's last sequence
    Seen pending_seen_;     ///< another owner's pending message
    Seen short_range_seen_; ///< the start of a range shorter than options_.range
};

} // namespace eh::store::detail::nats_kv
