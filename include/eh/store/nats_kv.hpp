#pragma once
// Store `nats-js-kv`: ocis's NATS JetStream key-value layout (docs/ocis-contract.md section 3), plus a
// user index that an ocis reader never sees.
//
// Layout. Each event is exactly the record go-micro's nats-js-kv store writes for ocis, in
// the bucket named by the store database: key base32(table + "_" + id), value
// {"key","data","metadata"} with data the codec's bytes (detail/nats_kv/keys.hpp, record.hpp).
// The bucket is created when missing with max age = TTL (from the write: NATS 2.9 has no
// per-key TTL, as in ocis), history 1, file storage (memory when persistence is disabled) and
// the configured replicas, and so is the index stream (detail/nats_kv/bucket.hpp).
//
// Writes. put() writes the records only, in one pipelined round per batch
// (detail/nats_kv/pipeline.hpp): each published to $KV.<bucket>.<key> with "expected last
// subject sequence 0", so a record is never overwritten and one stored already (a
// redelivery, another daemon) is refused by the server and counted as a duplicate. Each
// carries the event's timestamp in a header (Eh-Time), which ocis never reads. put() returns
// only when JetStream acked every record (persisted, and replicated with replicas > 1).
//
// Index. An indexer thread (detail/nats_kv/indexer.hpp), started once the bucket is open,
// follows the bucket's stream in sequence order and indexes every record, ours or ocis's,
// into a stream beside the bucket (detail/nats_kv/index.hpp): postings (token, record
// sequence) in 256 partitions by token, each posting once, in ranges of up to 4096 records
// (shorter ones after a second). Several stores on one bucket take turns, a crashed one's
// range is taken over. It runs at the lowest CPU priority and gives way to this store's
// writes: during a burst it claims no range until the burst ends or the index lags by
// IndexerOptions::max_lag records (the writes are the acked path; the index may follow).
//
// Reads. get() pipelines direct gets ($JS.API.DIRECT.GET.KV_<bucket>.<subject>): any server
// of the bucket answers, with no consumer created. Reads go over a second connection that
// writes each request at once: a one-id get waits neither for cnats' write batching (up to
// 1 ms) nor for a PING/PONG flush, and the writes' connection keeps batching. find_by_user() reads how far the index
// goes (b) and the bucket's last sequence (L), then the partition of the user id's longest
// word run (more runs while the candidates are many, intersected), and adds every record
// after b: answers are exact however far the indexer lags (that tail costs a read per record:
// about a second's worth of events, more while the indexer catches up). The candidates are
// read by sequence and kept when they still are records of this table holding the id (the
// reference scan's test, eh/index/match.hpp). An id without word characters has no token:
// then every record is read (rare). Results are in order_user_answer()'s order.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "eh/clock.hpp"
#include "eh/config/address.hpp"
#include "eh/detail/chunks.hpp"
#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/answer.hpp"
#include "eh/store/detail/nats_kv/bucket.hpp"
#include "eh/store/detail/nats_kv/index.hpp"
#include "eh/store/detail/nats_kv/indexer.hpp"
#include "eh/store/detail/nats_kv/keys.hpp"
#include "eh/store/detail/nats_kv/pipeline.hpp"
#include "eh/store/detail/nats_kv/progress.hpp"
#include "eh/store/detail/nats_kv/record.hpp"
#include "eh/store/detail/nats_kv/replies.hpp"
#include "eh/store/lifetime.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/query_limits.hpp"
#include "eh/store/settings.hpp"

namespace eh::store {

struct NatsKvOptions {
    eh::detail::nats::ConnectOptions connection; ///< nodes, user/password, TLS
    std::string database = "eventhistory";       ///< the records' bucket
    std::string table;                           ///< record key prefix, as in ocis
    std::chrono::nanoseconds ttl = std::chrono::hours{336};
    bool memory_storage = false; ///< disable_persistence
    int replicas = 1;
    std::chrono::milliseconds request_timeout{10'000}; ///< for all replies of one batch or query
    detail::nats_kv::IndexerOptions indexer;           ///< range size, lease, poll interval
    QueryLimits limits{};
};

class NatsKvStore {
public:
    static constexpr std::string_view name = "nats-js-kv";

    /// Connects in the background; the bucket and index stream are opened (or created) on
    /// first use, and then the indexer starts.
    explicit NatsKvStore(NatsKvOptions options)
        : options_(std::move(options)), keys_(options_.database, options_.table), index_(options_.database),
          client_(std::make_unique<eh::detail::nats::Client>(options_.connection)),
          reader_(std::make_unique<eh::detail::nats::Client>(read_connection(options_.connection))),
          state_(std::make_unique<State>(*client_, *reader_)) {}

    static constexpr bool shared = true; ///< instances of the service share what it holds

    /// Without nodes of its own, the store lives on the events NATS (as ocis recommends), with
    /// that connection's auth (unless the store has its own) and TLS (unless it has its own).
    static NatsKvStore make(const StoreSettings& s) { return NatsKvStore(options_from(s)); }
    /// Own nodes, when given, must be NATS servers (eh::DaemonStore).
    static void check(const StoreSettings& s) {
        if (!s.nodes.empty()) config::check_nodes("store.nodes", s.nodes, config::is_nats_node, "nats-js-kv", "host:port");
    }
    static NatsKvOptions options_from(const StoreSettings& s) {
        const bool on_events = s.nodes.empty();
        const bool own_auth = !s.username.empty() || !s.password.empty();
        const StoreSettings::Tls& tls = on_events && !s.tls.enable ? s.events.tls : s.tls;
        NatsKvOptions o;
        o.connection.endpoints = on_events ? s.events.nodes : s.nodes;
        o.connection.name = "eventhistory-store";
        o.connection.username = on_events && !own_auth ? s.events.username : s.username;
        o.connection.password = on_events && !own_auth ? s.events.password : s.password;
        o.connection.tls = {.enable = tls.enable, .insecure = tls.insecure, .root_ca_file = tls.root_ca_file};
        o.database = s.database;
        o.table = s.table;
        o.ttl = s.ttl;
        o.memory_storage = s.disable_persistence;
        o.replicas = static_cast<int>(s.replicas);
        o.limits = s.limits;
        return o;
    }

    /// Stores each event once by id (see "Writes" above); throws StoreError otherwise, and
    /// StoreRefusal, before writing anything, for an event whose id is no valid KV key or
    /// whose record exceeds the server's max payload.
    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec& codec) {
        // The layout is ocis's, and the indexer reads records back as such: another codec's
        // records would be stored but never indexed, and user queries would miss them.
        static_assert(std::same_as<Codec, codec::OcisStoreEvent>,
                      "eh: the nats-js-kv store keeps ocis's records: its Codec must be eh::codec::OcisStoreEvent");
        open();
        const std::size_t most = max_record_bytes();
        PutStats stats;
        const Timestamp now = SystemClock{}.now();
        std::vector<detail::nats_kv::Request> requests;
        requests.reserve(batch.size());
        std::string data;
        for (const Event& e : batch) {
            const auto life = lifetime(e.timestamp, now, options_.ttl);
            if (!life) {
                ++stats.expired;
                continue;
            }
            const auto key = keys_.valid_record_key(e.id);
            if (!key)
                throw StoreRefusal("nats-js-kv: the id of event \"" + e.id.substr(0, 64) + "...\" (" +
                                   std::to_string(e.id.size()) + " bytes) cannot be a NATS KV key");
            data.clear();
            codec.encode(e, data);
            auto& r = requests.emplace_back(detail::nats_kv::Request{
                keys_.record_subject(*key), {}, 0,
                {{detail::nats_kv::time_header, std::to_string(life->start.time_since_epoch().count())}}});
            detail::nats_kv::encode_record(e, data, r.payload);
            if (r.payload.size() > most)
                throw StoreRefusal("nats-js-kv: the record of event " + e.id + " has " + std::to_string(r.payload.size()) +
                                   " bytes, more than the NATS server takes in one message (" + std::to_string(most) +
                                   " with its headers)");
        }
        state_->last_put.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
        const auto acks = run(state_->writes, requests);
        for (std::size_t i = 0; i < acks.size(); ++i) {
            const auto ack = detail::nats_kv::pub_ack(acks[i].data());
            if (ack.wrong_last_sequence) {
                ++stats.duplicates; // the key exists: stored before
            } else if (ack.seq) {
                ++stats.stored;
            } else if (ack.too_large) {
                throw StoreRefusal("nats-js-kv: writing " + requests[i].subject + ": " + std::string(acks[i].data()));
            } else {
                mark_failed();
                throw StoreError("nats-js-kv: writing " + requests[i].subject + ": " +
                                 (acks[i].data().empty() ? std::string("no stream answered (deleted?)")
                                                         : std::string(acks[i].data())));
            }
        }
        return stats;
    }

    /// Found events in request order, each with its record's time (record_time()); unknown
    /// ids, and ids that cannot be keys, are skipped. Read `query_chunk` at a time, and no
    /// further than the answer limits (AnswerTooLarge).
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec& codec) const {
        open(); // StoreError until connected, even for no ids
        AnswerBudget budget(options_.limits);
        std::vector<Event> found;
        std::vector<detail::nats_kv::Request> requests;
        for (const auto part : eh::detail::chunks(ids, query_chunk)) {
            requests.clear();
            for (const auto& id : part)
                if (const auto key = keys_.valid_record_key(id)) requests.push_back({keys_.direct_get_subject(*key), {}});
            for (const auto& reply : run(state_->reads, requests))
                if (decode_into(found, codec, reply)) budget.add(found.back());
        }
        return found;
    }

    /// Events whose payload holds user as a bounded literal, in order_user_answer()'s order (see "Reads").
    /// InvalidQuery for a user id beyond its bounds, AnswerTooLarge beyond the answer limits.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec& codec) const {
        check_user_id(user, options_.limits);
        AnswerBudget budget(options_.limits);
        const std::vector<std::uint64_t> seqs = candidates(user, budget);
        std::vector<Event> found;
        std::vector<detail::nats_kv::Request> requests;
        for (const auto part : eh::detail::chunks(std::span(seqs), query_chunk)) {
            requests.clear();
            for (const auto seq : part)
                requests.push_back({keys_.stream_direct_get(), detail::nats_kv::Keys::by_sequence(seq)});
            for (const auto& reply : run(state_->reads, requests)) {
                if (!decode_into(found, codec, reply)) continue;
                const Event& e = found.back();
                // Another table's record (one bucket may hold several), or a candidate only:
                // another id shares the token.
                if (detail::nats_kv::header(reply, "Nats-Subject") != keys_.record_subject(keys_.record_key(e.id)) ||
                    !index::contains_bounded(e.payload, user))
                    found.pop_back();
                else
                    budget.add(e);
            }
        }
        order_user_answer(found);
        return found;
    }

    /// Connected, with the bucket and the index stream open.
    bool ready() const noexcept { return client_->connected() && reader_->connected() && state_->opened; }

    /// Called when the ingest loop is idle: opens the bucket as soon as NATS answers, so that
    /// ready() does not wait for the first event (and the indexer starts). Never throws.
    void maintain() {
        try {
            open();
        } catch (const StoreError&) {
            // not ready yet; the next put() reports why
        }
    }

    const NatsKvOptions& options() const noexcept { return options_; }

private:
    struct State {
        State(const eh::detail::nats::Client& writer, const eh::detail::nats::Client& reader)
            : writes(writer, detail::nats_kv::Send::flush), reads(reader, detail::nats_kv::Send::at_once) {}
        detail::nats_kv::Pipeline writes; // puts, the indexer, stream info
        detail::nats_kv::Pipeline reads;  // the records' direct gets
        std::mutex mutex; // guards open()
        eh::detail::nats::JetStream js;
        detail::nats_kv::Bucket records;
        std::atomic<bool> opened{false};
        std::atomic<std::int64_t> last_put{0}; // steady clock ticks: the indexer gives way to writes
        std::optional<detail::nats_kv::Indexer> indexer;
        std::jthread indexing; // last: stopped and joined before the indexer goes
    };

    /// Opens the bucket and the index stream once connected, then starts the indexer;
    /// throws StoreError before that.
    void open() const {
        if (state_->opened) return;
        std::lock_guard lock(state_->mutex);
        if (state_->opened) return;
        if (!client_->connected() || !reader_->connected())
            throw StoreError("nats-js-kv: not connected to " + client_->where());
        if (!state_->js) {
            jsCtx* js = nullptr;
            if (auto s = eh::detail::nats::status(natsConnection_JetStream(&js, client_->get(), nullptr)); !s)
                throw StoreError("nats-js-kv: JetStream context: " + s.text);
            state_->js.reset(js);
        }
        const int replicas = std::max(options_.replicas, 1);
        state_->records =
            detail::nats_kv::open_bucket(state_->js.get(), {keys_.bucket(), options_.ttl, options_.memory_storage, replicas});
        detail::nats_kv::ensure_index_stream(state_->js.get(),
                                             {index_.stream(), options_.ttl, options_.memory_storage, replicas},
                                             index_.wildcard());
        if (!state_->indexer) {
            auto& indexer =
                state_->indexer.emplace(*client_, state_->writes, keys_, index_, state_->last_put, options_.indexer);
            state_->indexing = std::jthread([&indexer](std::stop_token stop) { indexer.run(stop); });
        }
        state_->opened = true;
    }
    /// Replies a query reads at once: its memory stays bounded whatever the answer.
    static constexpr std::size_t query_chunk = 256;
    /// Room for a record's headers (time, expected sequence) within the server's max payload.
    static constexpr std::size_t header_room = 256;

    /// The largest record the server takes in one message (its max payload, less headers).
    std::size_t max_record_bytes() const {
        const std::int64_t most = natsConnection_GetMaxPayload(client_->get());
        return most > static_cast<std::int64_t>(header_room) ? static_cast<std::size_t>(most) - header_room : 0;
    }

    /// After a failure the bucket and stream are looked up again: they may have been deleted.
    void mark_failed() const { state_->opened = false; }

    static eh::detail::nats::ConnectOptions read_connection(eh::detail::nats::ConnectOptions o) {
        o.name += "-reads";
        o.send_asap = true;
        return o;
    }

    std::vector<eh::detail::nats::Message> run(const detail::nats_kv::Pipeline& pipeline,
                                               const std::vector<detail::nats_kv::Request>& requests) const {
        open();
        try {
            return pipeline.run(requests, options_.request_timeout);
        } catch (const StoreError&) {
            mark_failed();
            throw;
        }
    }

    /// The sequences of the records that may hold user, ascending: from the index up to
    /// where it is complete, then every record after; counted against max_candidates.
    std::vector<std::uint64_t> candidates(std::string_view user, AnswerBudget& budget) const {
        namespace kv = detail::nats_kv;
        const auto replies = run(state_->reads, {{index_.direct_get(), kv::IndexNames::last_of(index_.progress())},
                                                 {keys_.stream_info(), {}}});
        const auto bucket = kv::stream_range(replies[1].data());
        if (!bucket) {
            mark_failed();
            throw StoreError("nats-js-kv: reading the stream info of KV_" + keys_.bucket() + ": " +
                             std::string(replies[1].data()));
        }
        std::uint64_t indexed = 0; // the index holds every record up to here
        if (kv::direct_get_sequence(replies[0]))
            if (const auto p = kv::Progress::parse(replies[0].data())) indexed = p->done;
        const std::uint64_t tail_first = std::max(indexed + 1, bucket->first);
        budget.examine(bucket->last >= tail_first ? bucket->last - tail_first + 1 : 0);

        // The id's distinct tokens, longest run first: the likeliest to be rare.
        std::vector<std::pair<std::size_t, index::Token>> runs;
        index::for_each_word_run(user, [&](std::string_view r) { runs.emplace_back(r.size(), index::token_hash(r)); });
        std::ranges::sort(runs, std::greater{});
        runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
        std::vector<std::uint64_t> seqs;
        if (indexed > 0) seqs = indexed_candidates(runs, indexed, budget);
        for (std::uint64_t seq = tail_first; seq <= bucket->last; ++seq) seqs.push_back(seq);
        return seqs;
    }

    /// The records up to indexed holding every token of runs, ascending; the partitions
    /// are read one by one, longest run first, until the candidates are few. A token with
    /// more than max_candidates postings is not collected further (nor used): when every
    /// token is that common, AnswerTooLarge.
    std::vector<std::uint64_t> indexed_candidates(const std::vector<std::pair<std::size_t, index::Token>>& runs,
                                                  std::uint64_t indexed, AnswerBudget& budget) const {
        namespace kv = detail::nats_kv;
        constexpr std::size_t few = 128; // fewer than this: reading them beats reading another partition
        const std::size_t cap = options_.limits.max_candidates;
        struct Postings {
            std::vector<std::uint64_t> seqs;
            bool common = false; // more than cap: dropped
        };
        std::vector<Postings> of(runs.size()); // by run, from the partitions read
        std::vector<unsigned> read;
        std::optional<std::vector<std::uint64_t>> result;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            if (const unsigned k = kv::partition_of(runs[i].second); std::ranges::find(read, k) == read.end()) {
                read.push_back(k);
                read_partition(k, [&](index::Token pt, std::uint64_t seq) {
                    if (seq > indexed) return;
                    for (std::size_t r = 0; r < runs.size(); ++r) {
                        if (runs[r].second != pt || of[r].common) continue;
                        of[r].seqs.push_back(seq);
                        if (of[r].seqs.size() > cap) of[r] = {{}, true};
                    }
                });
            }
            if (of[i].common) continue;
            std::vector<std::uint64_t> with = std::move(of[i].seqs);
            std::ranges::sort(with);
            with.erase(std::unique(with.begin(), with.end()), with.end()); // robust to a posting stored twice
            if (result) {
                std::vector<std::uint64_t> both;
                std::ranges::set_intersection(*result, with, std::back_inserter(both));
                with = std::move(both);
            }
            result = std::move(with);
            if (result->size() < few) break;
        }
        if (!result) budget.examine(cap + 1); // every token too common: refused
        budget.examine(result->size());
        return std::move(*result);
    }

    /// Calls f(token, record sequence) for every posting of partition k: an ordered
    /// consumer on that literal subject, so only its messages travel, read up to the last
    /// message it has now.
    template <class F>
    void read_partition(unsigned k, F&& f) const {
        namespace n = eh::detail::nats;
        namespace kv = detail::nats_kv;
        const std::string subject = index_.partition(k);
        const auto last =
            kv::direct_get_sequence(run(state_->reads, {{index_.direct_get(), kv::IndexNames::last_of(subject)}})[0]);
        if (!last) return; // no postings in this partition
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = index_.stream().c_str();
        so.Ordered = true;
        natsSubscription* raw = nullptr;
        jsErrCode code{};
        if (auto s = n::status(js_SubscribeSync(&raw, state_->js.get(), subject.c_str(), nullptr, &so, &code), code); !s) {
            mark_failed();
            throw StoreError("nats-js-kv: reading the index (" + subject + "): " + s.text);
        }
        n::Subscription sub(raw);
        const auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            natsMsg* m = nullptr;
            if (auto s = n::status(natsSubscription_NextMsg(&m, raw, std::max<std::int64_t>(left.count(), 1))); !s)
                throw StoreError("nats-js-kv: reading the index (" + subject + "): " + s.text);
            n::Message msg(m);
            kv::for_each_posting(msg.data(), f);
            jsMsgMetaData* meta = nullptr;
            if (natsMsg_GetMetaData(&meta, m) != NATS_OK) continue;
            const bool done = meta->Sequence.Stream >= *last || meta->NumPending == 0;
            jsMsgMetaData_Destroy(meta);
            if (done) return;
        }
    }

    /// Decodes the record of a direct get's reply onto found, its time from the reply;
    /// false (and nothing added) when there is none (no such key, or deleted) or it is not a
    /// record of a StoreEvent.
    template <class Codec>
    static bool decode_into(std::vector<Event>& found, const Codec& codec, const eh::detail::nats::Message& reply) {
        if (reply.data().empty()) return false;
        return append_decoded(found, [&](Event& e) {
            if (!detail::nats_kv::decode_record_event(reply.data(), codec, e)) return false;
            e.timestamp = detail::nats_kv::record_time(reply);
            return true;
        });
    }

    NatsKvOptions options_;
    detail::nats_kv::Keys keys_;
    detail::nats_kv::IndexNames index_;
    std::unique_ptr<eh::detail::nats::Client> client_; // behind pointers: the store stays movable
    std::unique_ptr<eh::detail::nats::Client> reader_; // sends at once: for the reads
    std::unique_ptr<State> state_;                     // after the clients: the indexer stops first
};

} // namespace eh::store
