#pragma once
// EventHistory<Transport, Store, Codec>: the ingest loop and the queries. No I/O of its own;
// the policies do it. A library user composes their own variant the same way the daemon does.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/counters.hpp"
#include "eh/envelope/decode.hpp"

namespace eh {

struct IngestOptions {
    std::size_t batch = 256;                                ///< messages fetched at once
    std::chrono::milliseconds fetch_wait{500};              ///< longest wait for a batch (bounds stop latency)
    std::chrono::milliseconds nak_delay{250};               ///< redelivery delay after a failed store write...
    std::chrono::milliseconds nak_delay_max{4'000};         ///< ...doubling per consecutive failure up to this
    envelope::DecodeOptions decode{};
};

template <class Transport, class Store, class Codec = codec::OcisStoreEvent>
class EventHistory {
    static_assert(detail::check_transport<Transport>());
    static_assert(detail::check_codec<Codec>());
    static_assert(detail::check_store<Store, Codec>());

public:
    using transport_type = Transport;
    using store_type = Store;
    using codec_type = Codec;
    using message_type = typename detail::message_of<Transport>::type;

    EventHistory(Transport transport, Store store, Codec codec = {}, IngestOptions options = {})
        : transport_(std::move(transport)), store_(std::move(store)), codec_(std::move(codec)), options_(options) {}

    /// One batch: fetch, decode, store, then settle each message. Returns messages handled.
    /// Malformed messages are terminated; if the store refuses, the rest is NAKed, never acked.
    std::size_t ingest_once() {
        batch_.clear();
        transport_.fetch(batch_, options_.batch, options_.fetch_wait);
        if (batch_.empty()) {
            if constexpr (HasMaintain<Store>) store_.maintain();
            return 0;
        }
        const auto started = std::chrono::steady_clock::now();
        const std::size_t n = batch_.size();
        Counters::add(counters_.received, n);

        if (events_.size() < n) events_.resize(n);
        std::size_t good = 0;
        for (std::size_t i = 0; i < n; ++i) {
            envelope::DecodeNotes notes;
            if (envelope::decode(batch_[i].data(), events_[good], &notes, options_.decode) != DecodeError::ok) continue;
            if (notes.id_from_envelope) Counters::add(counters_.id_fallbacks, 1);
            if (i != good) std::swap(batch_[i], batch_[good]); // decoded messages first, malformed last
            ++good;
        }
        auto decoded = std::span(batch_).first(good);
        if (auto malformed = std::span(batch_).subspan(good); !malformed.empty()) {
            transport_.term(malformed);
            Counters::add(counters_.malformed, malformed.size());
            Counters::add(counters_.terms, malformed.size());
        }
        if (decoded.empty()) return n;

        PutStats stats;
        try {
            stats = store_.put(std::span<const Event>(events_.data(), good), codec_);
        } catch (const std::exception& e) {
            Counters::add(counters_.store_errors, 1);
            remember_error(e.what());
            transport_.nak(decoded, nak_delay(consecutive_failures_));
            Counters::add(counters_.naks, decoded.size());
            ++consecutive_failures_;
            return n;
        }
        consecutive_failures_ = 0;
        transport_.ack(decoded);
        Counters::add(counters_.acks, decoded.size());
        Counters::add(counters_.stored, stats.stored);
        Counters::add(counters_.duplicates, stats.duplicates);
        Counters::add(counters_.expired, stats.expired);
        Counters::add(counters_.batches, 1);
        counters_.batch_latency.observe(std::chrono::steady_clock::now() - started);
        // Less than a full batch: the stream is caught up, the store may do deferred work.
        if constexpr (HasMaintain<Store>)
            if (n < options_.batch) store_.maintain();
        return n;
    }

    /// Ingests until stop is requested; the batch in hand is always finished and settled.
    /// After a failed store write the loop waits as long as the NAK delay it just asked for,
    /// instead of fetching again at once: an outage is not hammered, and the NAKed messages
    /// are due again when the loop resumes.
    void run(std::stop_token stop) {
        std::mutex m;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            ingest_once();
            if (consecutive_failures_ == 0) continue;
            std::unique_lock lock(m);
            wake.wait_for(lock, stop, nak_delay(consecutive_failures_ - 1), [] { return false; });
        }
    }

    /// Events by id, in request order; unknown ids are skipped.
    std::vector<Event> get_events(std::span<const std::string> ids) const { return store_.get(ids, codec_); }

    /// Events whose payload holds the user id literally (bounded by non-word characters).
    std::vector<Event> get_events_for_user(std::string_view user) const { return store_.find_by_user(user, codec_); }

    /// Ready when both policies say so (a policy without ready() is always ready).
    bool ready() const {
        bool ok = true;
        if constexpr (HasReady<Transport>) ok = ok && transport_.ready();
        if constexpr (HasReady<Store>) ok = ok && store_.ready();
        return ok;
    }

    std::string last_store_error() const {
        std::lock_guard lock(error_mutex_);
        return last_store_error_;
    }

    const Counters& counters() const noexcept { return counters_; }
    Transport& transport() noexcept { return transport_; }
    const Transport& transport() const noexcept { return transport_; }
    Store& store() noexcept { return store_; }
    const Store& store() const noexcept { return store_; }
    const IngestOptions& options() const noexcept { return options_; }

private:
    /// The NAK delay after `failures` consecutive failures before this one.
    std::chrono::milliseconds nak_delay(int failures) const {
        std::chrono::milliseconds d = options_.nak_delay * (1 << std::min(failures, 16));
        return std::min(d, options_.nak_delay_max);
    }
    void remember_error(std::string what) {
        std::lock_guard lock(error_mutex_);
        last_store_error_ = std::move(what);
    }

    // Queries may run on other threads than the ingest loop: stores are thread-safe, and
    // const here means "does not change what EventHistory itself holds".
    Transport transport_;
    mutable Store store_;
    Codec codec_;
    IngestOptions options_;
    Counters counters_;
    int consecutive_failures_ = 0;
    std::vector<message_type> batch_; // reused across batches: no per-batch allocation
    std::vector<Event> events_;       // idem, and the events' strings keep their capacity
    mutable std::mutex error_mutex_;
    std::string last_store_error_;
};

} // namespace eh
