#pragma once
// EventHistory<Transport, Store, Codec>: the ingest loop and the queries. No I/O of its own;
// the policies do it. A library user composes their own variant the same way the daemon does.
//
// Settling. A message is acked only once the store accepted its event, and never silently
// dropped: one that does not decode is terminated with a log line (stream sequence, reason);
// a batch the store cannot write (StoreError: unreachable, too few replicas) is NAKed and
// retried without limit; a batch the store refuses because of some event (StoreRefusal) is
// split in halves until the refused events stand alone, the others are stored and acked,
// and a refused event is NAKed and tried again, up to max_refusals times, then terminated
// with a log line (stream sequence, id, reason) and counted (Counters::refused).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>


#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/counters.hpp"
#include "eh/detail/throttle.hpp"
#include "eh/envelope/decode.hpp"
#include "eh/log.hpp"

namespace eh {

struct IngestOptions {
    std::size_t batch = 256;                                ///< messages fetched at once
    std::chrono::milliseconds fetch_wait{500};              ///< longest wait for a batch (bounds stop latency)
    std::chrono::milliseconds nak_delay{250};               ///< redelivery delay after a failed store write...
    std::chrono::milliseconds nak_delay_max{4'000};         ///< ...doubling per consecutive failure up to this
    std::size_t max_refusals = 3; ///< times the store may refuse an event before it is terminated
    envelope::DecodeOptions decode{};
};

/// A message's stream sequence, for log lines; 0 when its transport has none.
template <class M>
std::uint64_t sequence_of(const M& m) {
    if constexpr (requires { { m.sequence() } -> std::convertible_to<std::uint64_t>; })
        return m.sequence();
    else
        return 0;
}

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

    /// One batch: fetch, decode, store, then settle each message (see "Settling" above).
    /// Returns messages handled.
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
            if (const auto e = envelope::decode(batch_[i].data(), events_[good], &notes, options_.decode);
                e != DecodeError::ok) {
                log_malformed(batch_[i], e);
                continue;
            }
            if (notes.id_from_envelope) Counters::add(counters_.id_fallbacks, 1);
            if (i != good) std::swap(batch_[i], batch_[good]); // decoded messages first, malformed last
            ++good;
        }
        if (auto malformed = std::span(batch_).subspan(good); !malformed.empty()) {
            transport_.term(malformed);
            Counters::add(counters_.malformed, malformed.size());
            Counters::add(counters_.terms, malformed.size());
        }
        if (good == 0) return n;

        stored_any_ = false;
        if (!put_range(0, good)) return n;
        consecutive_failures_ = 0;
        if (stored_any_) {
            Counters::add(counters_.batches, 1);
            counters_.batch_latency.observe(std::chrono::steady_clock::now() - started);
        }
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

    /// What the last failed store write said, without hosts or names (StoreError::summary()).
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

    std::span<message_type> messages(std::size_t first, std::size_t last) {
        return std::span(batch_).subspan(first, last - first);
    }

    /// Stores the events [first, last) and settles their messages; a refusal splits the range
    /// (see "Settling"). False after a transient failure: the range's unsettled messages are
    /// NAKed then, and the caller settles nothing more of the batch but NAKs.
    bool put_range(std::size_t first, std::size_t last) {
        try {
            const PutStats stats = store_.put(std::span<const Event>(events_.data() + first, last - first), codec_);
            transport_.ack(messages(first, last));
            Counters::add(counters_.acks, last - first);
            Counters::add(counters_.stored, stats.stored);
            Counters::add(counters_.duplicates, stats.duplicates);
            Counters::add(counters_.expired, stats.expired);
            note_evictions(stats.evicted);
            for (std::size_t i = first; i < last && !refusals_.empty(); ++i) refusals_.erase(events_[i].id);
            stored_any_ = true;
            return true;
        } catch (const StoreRefusal& e) {
            if (last - first == 1) {
                refused(first, e.what());
                return true;
            }
        } catch (const StoreError& e) {
            failed(first, last, e.what(), e.summary());
            return false;
        } catch (const std::exception& e) {
            failed(first, last, e.what(), "the store failed");
            return false;
        }
        const std::size_t middle = first + (last - first) / 2;
        if (!put_range(first, middle)) {
            nak_rest(middle, last);
            return false;
        }
        return put_range(middle, last);
    }

    /// A transient failure: the messages [first, last) go back, to be delivered again after
    /// the NAK delay, however often it takes.
    void failed(std::size_t first, std::size_t last, const std::string& detail, const std::string& summary) {
        Counters::add(counters_.store_errors, 1);
        remember_error(summary);
        const auto delay = nak_delay(consecutive_failures_);
        if (store_error_log_.due())
            eh::logger()->warn("store: {}; {} messages go back for redelivery in {} ms", detail, last - first, delay.count());
        transport_.nak(messages(first, last), delay);
        Counters::add(counters_.naks, last - first);
        ++consecutive_failures_;
    }

    /// After a transient failure in the middle of a split batch: the messages [first, last)
    /// not tried yet go back too.
    void nak_rest(std::size_t first, std::size_t last) {
        transport_.nak(messages(first, last), nak_delay(consecutive_failures_ - 1));
        Counters::add(counters_.naks, last - first);
    }

    /// The store refused the event at i on its own: tried again later, or, after
    /// max_refusals, terminated with a log line.
    void refused(std::size_t i, const std::string& why) {
        const Event& e = events_[i];
        if (refusals_.size() >= max_tracked_refusals) refusals_.clear(); // bounded: a flood of distinct ids
        const std::size_t tries = ++refusals_[e.id];
        auto msg = messages(i, i + 1);
        std::size_t silenced = 0;
        if (tries < options_.max_refusals) {
            transport_.nak(msg, options_.nak_delay_max);
            Counters::add(counters_.naks, 1);
            if (term_log_.allow(silenced))
                eh::logger()->warn("the store refused event {} (stream sequence {}), try {} of {}: {}{}", e.id,
                             sequence_of(msg[0]), tries, options_.max_refusals, why, silenced_note(silenced));
            return;
        }
        refusals_.erase(e.id);
        transport_.term(msg);
        Counters::add(counters_.refused, 1);
        Counters::add(counters_.terms, 1);
        if (term_log_.allow(silenced))
            eh::logger()->error("terminated message at stream sequence {}: the store refused event {} {} times: {}{}",
                          sequence_of(msg[0]), e.id, tries, why, silenced_note(silenced));
    }

    void log_malformed(const message_type& m, DecodeError e) {
        std::size_t silenced = 0;
        if (term_log_.allow(silenced))
            eh::logger()->warn("terminated message at stream sequence {} ({} bytes): {}{}", sequence_of(m), m.data().size(),
                         to_string(e), silenced_note(silenced));
    }

    void note_evictions(std::size_t n) {
        if (n == 0) return;
        Counters::add(counters_.evicted, n);
        evicted_unlogged_ += n;
        if (!evict_log_.due()) return;
        eh::logger()->warn("store: {} events evicted to stay within the store's bounds", evicted_unlogged_);
        evicted_unlogged_ = 0;
    }

    static std::string silenced_note(std::size_t n) {
        return n == 0 ? std::string() : " (" + std::to_string(n) + " lines like this one silenced before)";
    }

    // Queries may run on other threads than the ingest loop: a store's const queries are
    // thread-safe beside its put().
    Transport transport_;
    Store store_;
    Codec codec_;
    IngestOptions options_;
    Counters counters_;
    int consecutive_failures_ = 0;
    bool stored_any_ = false;         // of the batch in hand
    static constexpr std::size_t max_tracked_refusals = 4096;
    std::unordered_map<std::string, std::size_t> refusals_; // event id -> times refused alone
    detail::LogLimit term_log_{20, std::chrono::seconds{10}}; // refused and malformed messages
    detail::Throttle store_error_log_{std::chrono::seconds{5}};
    detail::Throttle evict_log_{std::chrono::seconds{10}};
    std::size_t evicted_unlogged_ = 0;
    std::vector<message_type> batch_; // reused across batches: no per-batch allocation
    std::vector<Event> events_;       // idem, and the events' strings keep their capacity
    mutable std::mutex error_mutex_;
    std::string last_store_error_;
};

} // namespace eh
