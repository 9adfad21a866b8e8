#pragma once
// Store `nats-js-kv`: ocis's NATS JetStream key-value layout (interop.md section 3), plus a
// user index that an ocis reader never sees.
//
// Layout. Each event is exactly the record go-micro's nats-js-kv store writes for ocis, in
// the bucket named by the store database: key base32(table + "_" + id), value
// {"key","data","metadata"} with data the codec's bytes (detail/nats_kv/keys.hpp, record.hpp).
// The bucket is created when missing with max age = TTL (from the write: NATS 2.9 has no
// per-key TTL, as in ocis), history 1, file storage (memory when persistence is disabled) and
// the configured replicas, and so is the index stream (detail/nats_kv/bucket.hpp).
//
// Index. In a stream beside the bucket (detail/nats_kv/index.hpp): per batch, one message
// per token of the payloads, on that token's own subject, listing (record key, timestamp) of
// the events holding it. find_by_user() picks the user id's rarest token and reads only that
// subject (never every key, as ocis does), then keeps the candidates whose payload holds the
// id: exactly the reference scan (eh/index/tokens.hpp). Records ocis wrote have no index
// lines: get() finds them, find_by_user() does not.
//
// Writes. Three pipelined rounds per batch (detail/nats_kv/pipeline.hpp), never a round trip
// per event: direct gets tell which ids are stored already (duplicates: nothing is written
// for them, no index line added twice); then the index lines of the others; then their
// records, published to $KV.<bucket>.<key> with "expected last subject sequence 0", so a
// record is never overwritten and one stored meanwhile (another daemon) counts as a
// duplicate. Index before record: a crash in between leaves lines without a record (which
// the reader skips), never a record without lines; its redelivery writes the lines again,
// which the reader merges by record key. put() returns only when JetStream acked every
// message (persisted, and replicated with replicas > 1).
//
// Reads. get() pipelines direct gets ($JS.API.DIRECT.GET.KV_<bucket>.<subject>): any server
// of the bucket answers, with no consumer created.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "eh/clock.hpp"
#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/detail/nats_kv/bucket.hpp"
#include "eh/store/detail/nats_kv/index.hpp"
#include "eh/store/detail/nats_kv/keys.hpp"
#include "eh/store/detail/nats_kv/pipeline.hpp"
#include "eh/store/detail/nats_kv/record.hpp"
#include "eh/store/put_stats.hpp"
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
};

class NatsKvStore {
public:
    static constexpr std::string_view name = "nats-js-kv";

    /// Connects in the background; the bucket and index stream are opened (or created) on first use.
    explicit NatsKvStore(NatsKvOptions options)
        : options_(std::move(options)), keys_(options_.database, options_.table),
          index_(options_.database),
          client_(std::make_unique<eh::detail::nats::Client>(options_.connection)),
          state_(std::make_unique<State>()) {}

    static NatsKvStore make(const StoreSettings& s) {
        NatsKvOptions o;
        o.connection.endpoints = s.nodes;
        o.connection.name = "eventhistory-store";
        o.connection.username = s.username;
        o.connection.password = s.password;
        o.connection.tls = {.enable = s.tls.enable, .insecure = s.tls.insecure, .root_ca_file = s.tls.root_ca_file};
        o.database = s.database;
        o.table = s.table;
        o.ttl = s.ttl;
        o.memory_storage = s.disable_persistence;
        o.replicas = static_cast<int>(s.replicas);
        return NatsKvStore(std::move(o));
    }

    /// Stores each event once by id (see "Writes" above); throws StoreError otherwise.
    template <class Codec>
    PutStats put(std::span<const Event> batch, const Codec& codec) {
        using detail::nats_kv::Request;
        PutStats stats;
        const Timestamp now = SystemClock{}.now();
        struct Item {
            const Event* event;
            std::string rk;
            std::int64_t ts;
        };
        std::vector<Item> items;
        std::vector<Request> requests;
        for (const Event& e : batch) {
            const Timestamp at = e.timestamp == Timestamp{} ? now : e.timestamp;
            if (at + options_.ttl <= now) {
                ++stats.expired;
                continue;
            }
            items.push_back({&e, keys_.record_key(e.id), at.time_since_epoch().count()});
            requests.push_back({keys_.direct_get_subject(items.back().rk), {}});
        }
        // 1. Which are stored already.
        const auto existing = run(requests);
        std::vector<const Item*> fresh;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (existing[i].data().empty())
                fresh.push_back(&items[i]);
            else
                ++stats.duplicates;
        }
        if (fresh.empty()) return stats;
        // 2. Their index lines.
        detail::nats_kv::IndexBatch& lines = state_->lines;
        lines.clear();
        std::vector<index::Token> tokens;
        for (const Item* item : fresh) {
            tokens.clear();
            index::tokenize(item->event->payload, tokens);
            for (auto t : tokens) lines.add(index_.token(t), item->rk, item->ts);
            lines.add(index_.all(), item->rk, item->ts);
        }
        requests.clear();
        lines.for_each_message([&](const std::string& subject, std::uint64_t n) { return state_->counts.add(subject, n); },
                               [&](const std::string& subject, std::string body) {
                                   requests.push_back({subject, std::move(body)});
                               });
        const auto line_acks = run(requests);
        for (std::size_t i = 0; i < line_acks.size(); ++i) check_ack(requests[i], line_acks[i]);
        // 3. Their records, each only if its key is still new.
        requests.clear();
        std::string data;
        for (const Item* item : fresh) {
            data.clear();
            codec.encode(*item->event, data);
            auto& r = requests.emplace_back(Request{keys_.record_subject(item->rk), {}, true});
            detail::nats_kv::encode_record(*item->event, data, r.payload);
        }
        const auto acks = run(requests);
        for (std::size_t i = 0; i < acks.size(); ++i) {
            if (acks[i].data().find("\"err_code\":10071") != std::string_view::npos) {
                ++stats.duplicates; // wrong last sequence: stored meanwhile
                continue;
            }
            check_ack(requests[i], acks[i]);
            ++stats.stored;
        }
        return stats;
    }

    /// Found events in request order; unknown ids are skipped. The record holds no
    /// timestamp, so the events' timestamps are zero (as in ocis).
    template <class Codec>
    std::vector<Event> get(std::span<const std::string> ids, const Codec& codec) const {
        std::vector<detail::nats_kv::Request> requests;
        requests.reserve(ids.size());
        for (const auto& id : ids) requests.push_back({keys_.direct_get_subject(keys_.record_key(id)), {}});
        std::vector<Event> found;
        for (const auto& reply : run(requests)) decode_into(found, codec, reply.data());
        return found;
    }

    /// Events whose payload holds user as a bounded literal, ordered by timestamp.
    template <class Codec>
    std::vector<Event> find_by_user(std::string_view user, const Codec& codec) const {
        std::vector<Event> found;
        if (user.empty()) return found;
        std::unordered_map<std::string, std::int64_t> candidates; // record key -> timestamp, once each
        if (const auto subject = candidate_source(user))
            read_index(*subject, [&](std::string_view rk, std::int64_t ts) { candidates.emplace(rk, ts); });
        std::vector<detail::nats_kv::Request> requests;
        std::vector<std::int64_t> stamps;
        for (const auto& [rk, ts] : candidates) {
            requests.push_back({keys_.direct_get_subject(rk), {}});
            stamps.push_back(ts);
        }
        const auto replies = run(requests);
        for (std::size_t i = 0; i < replies.size(); ++i) {
            if (!decode_into(found, codec, replies[i].data())) continue;
            if (!index::contains_bounded(found.back().payload, user)) {
                found.pop_back(); // a candidate only: another id shares the token
                continue;
            }
            found.back().timestamp = Timestamp{std::chrono::nanoseconds{stamps[i]}};
        }
        std::sort(found.begin(), found.end(), [](const Event& a, const Event& b) {
            return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id);
        });
        return found;
    }

    /// Connected, with the bucket and the index stream open.
    bool ready() const noexcept { return client_->connected() && state_->opened; }

    /// Called when the ingest loop is idle: opens the bucket as soon as NATS answers, so that
    /// ready() does not wait for the first event. Never throws.
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
        std::mutex mutex; // guards open()
        eh::detail::nats::JetStream js;
        detail::nats_kv::Bucket records;
        std::atomic<bool> opened{false};
        detail::nats_kv::SubjectCounts counts; // put() only
        detail::nats_kv::IndexBatch lines;    // put() only
    };

    /// Opens the bucket and the index stream once connected; throws StoreError before that.
    void open() const {
        if (state_->opened) return;
        std::lock_guard lock(state_->mutex);
        if (state_->opened) return;
        if (!client_->connected()) throw StoreError("nats-js-kv: not connected to " + client_->where());
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
        state_->opened = true;
    }
    /// After a failure the bucket and stream are looked up again: they may have been deleted.
    void mark_failed() const { state_->opened = false; }

    std::vector<eh::detail::nats::Message> run(const std::vector<detail::nats_kv::Request>& requests) const {
        open();
        try {
            return detail::nats_kv::run_pipeline(client_->get(), requests, options_.request_timeout);
        } catch (const StoreError&) {
            mark_failed();
            throw;
        }
    }

    /// Throws unless ack is a pub ack without error.
    void check_ack(const detail::nats_kv::Request& r, const eh::detail::nats::Message& ack) const {
        if (!ack.data().empty() && ack.data().find("\"error\"") == std::string_view::npos) return;
        mark_failed();
        throw StoreError("nats-js-kv: writing " + r.subject + ": " +
                         (ack.data().empty() ? std::string("no stream answered (deleted?)") : std::string(ack.data())));
    }

    /// Where user's candidates are: the lines of its rarest token (by the hint heading the
    /// token's last index message; then the longest), or, for an id without word characters,
    /// of all events: that subject; none when some token of the id is in no event (then
    /// neither is the id).
    std::optional<std::string> candidate_source(std::string_view user) const {
        std::vector<std::pair<std::string_view, index::Token>> runs;
        index::for_each_word_run(user, [&](std::string_view r) { runs.emplace_back(r, index::token_hash(r)); });
        std::vector<std::string> subjects;
        for (const auto& r : runs) subjects.push_back(index_.token(r.second));
        if (runs.empty()) subjects.push_back(index_.all());
        std::vector<detail::nats_kv::Request> requests;
        for (const auto& subject : subjects)
            requests.push_back({index_.direct_get(), detail::nats_kv::IndexNames::last_of(subject)});
        const auto replies = run(requests);
        std::size_t best = 0;
        for (std::size_t i = 0; i < replies.size(); ++i) {
            if (replies[i].data().empty()) return std::nullopt;
            const auto key = [&](std::size_t k) {
                return std::pair(detail::nats_kv::head_count(replies[k].data()),
                                 runs.empty() ? 0 : -std::ssize(runs[k].first));
            };
            if (key(i) < key(best)) best = i;
        }
        return subjects[best];
    }

    /// Calls f(record key, timestamp) for every line on subject: an ordered consumer on
    /// that literal subject, so only its messages travel.
    template <class F>
    void read_index(const std::string& subject, F&& f) const {
        open();
        namespace n = eh::detail::nats;
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
            detail::nats_kv::for_each_line(msg.data(), f);
            jsMsgMetaData* meta = nullptr;
            if (natsMsg_GetMetaData(&meta, m) != NATS_OK) continue;
            const bool last = meta->NumPending == 0;
            jsMsgMetaData_Destroy(meta);
            if (last) return;
        }
    }

    /// Decodes a record onto found; false (and nothing added) when value is empty (no such
    /// key, or deleted) or not a record of a StoreEvent.
    template <class Codec>
    static bool decode_into(std::vector<Event>& found, const Codec& codec, std::string_view value) {
        thread_local std::string data;
        if (value.empty() || !detail::nats_kv::decode_record(value, data)) return false;
        if (codec.decode(data, found.emplace_back()) == DecodeError::ok) return true;
        found.pop_back();
        return false;
    }

    NatsKvOptions options_;
    detail::nats_kv::Keys keys_;
    detail::nats_kv::IndexNames index_;
    std::unique_ptr<eh::detail::nats::Client> client_; // behind pointers: the store stays movable
    std::unique_ptr<State> state_;
};

} // namespace eh::store
