#pragma once
// Transport `nats_jetstream`: a JetStream pull consumer on the ocis event stream.
//
// fetch() pulls a batch and never waits much longer than asked, whatever NATS does: while
// NATS is down it waits for the connection, while the stream or consumer cannot be set up it
// retries with backoff, and a consumer that vanished (deleted, or lost by a server restarted
// without its store) is created again, resuming after the last acknowledged message when the
// stream is still the same. ack/nak/term settle each message asynchronously (no round trip
// per message) and only when told: the policy never acks on its own.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <nats/nats.h>

#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/consumer.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/pacing.hpp"
#include "eh/detail/nats/pull.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/nats/stream.hpp"
#include "eh/log.hpp"
#include "eh/transport/detail/backlog_progress.hpp"
#include "eh/transport/nats_options.hpp"

namespace eh::transport {

class NatsJetStream {
public:
    using message_type = eh::detail::nats::Message;
    using clock = std::chrono::steady_clock;

    /// How often the consumer's info (lag, ack floor, existence) is read.
    static constexpr std::chrono::seconds info_every{2};
    /// An instance consumer outlives a dead process by this much, then the server drops it.
    static constexpr std::chrono::minutes instance_inactive_threshold{15};

    /// Connects in the background: NATS need not be up yet. Throws std::invalid_argument for
    /// options cnats rejects (no endpoint, unreadable CA file, ...).
    explicit NatsJetStream(NatsOptions options)
        : options_(std::move(options)), name_(consumer_name(options_)), client_(options_.connection),
          progress_("NATS consumer '" + name_ + "'") {}

    NatsJetStream(NatsJetStream&&) noexcept = default;
    NatsJetStream& operator=(NatsJetStream&&) = delete;

    /// Returns what was delivered but not fetched, sends the acks still buffered, and removes
    /// an instance consumer (nobody else reads it).
    ~NatsJetStream() {
        if (!shared_ || !client_.connected()) return;
        if (shared_->bound && options_.acks) puller_.release_unfetched();
        flush(std::chrono::seconds{2});
        if (options_.mode == ConsumerMode::instance && shared_->bound) {
            jsOptions api = api_options(clock::now() + options_.api_timeout);
            js_DeleteConsumer(js_.get(), options_.stream.c_str(), name_.c_str(), &api, nullptr);
        }
    }

    /// Appends up to max messages, waiting at most about `wait` for the first.
    void fetch(std::vector<message_type>& out, std::size_t max, std::chrono::milliseconds wait) {
        const auto deadline = clock::now() + std::max(wait, std::chrono::milliseconds{1});
        if (!ready_by(deadline)) return;
        refresh_info(clock::now(), deadline);
        if (!shared_->bound) return;

        const std::size_t before = out.size();
        const auto seen = client_.generation();
        if (seen != generation_) { // (re)connected: requests the server held may be gone
            puller_.forget_request();
            generation_ = seen;
        }
        if (const auto s = puller_.fetch(out, std::max<std::size_t>(max, 1), deadline); !s) {
            // The consumer refused (e.g. deleted) or the connection failed: look at the
            // consumer now, and if nothing came, let the wait pass instead of spinning.
            if (shared_->fetch_log.due()) eh::logger()->warn("NATS: fetch from consumer '{}' failed: {}", name_, s.text);
            next_info_ = clock::now();
            refresh_info(next_info_, deadline);
            if (out.size() == before) client_.wait_change(seen, deadline);
        }
    }

    void ack(std::span<message_type> msgs) {
        settle(msgs, "ack", "+ACK");
        progress_.settled(msgs.size());
    }
    void nak(std::span<message_type> msgs, std::chrono::milliseconds delay) {
        settle(msgs, "nak", eh::detail::nats::nak_body(delay));
    }
    void term(std::span<message_type> msgs) {
        settle(msgs, "term", "+TERM");
        progress_.settled(msgs.size());
    }

    /// Waits until the server has processed every ack sent so far; false on timeout.
    bool flush(std::chrono::milliseconds timeout) {
        const auto s = client_.flush(timeout);
        if (!s) eh::logger()->warn("NATS: flushing acks to {} failed: {}", client_.where(), s.text);
        return static_cast<bool>(s);
    }

    /// Connected and bound to the consumer. Any thread.
    bool ready() const noexcept { return shared_->bound && client_.connected(); }
    /// The consumer's lag: messages not yet delivered plus delivered but not yet settled,
    /// as of the last consumer info (at most info_every old). Any thread.
    std::uint64_t pending() const noexcept { return shared_->pending.load(std::memory_order_relaxed); }

    const std::string& consumer() const noexcept { return name_; }
    const NatsOptions& options() const noexcept { return options_; }

private:
    // What other threads read, and what cannot move: behind a pointer.
    struct Shared {
        std::atomic<bool> bound{false};
        std::atomic<std::uint64_t> pending{0};
        eh::detail::Throttle setup_log{std::chrono::seconds{5}};
        eh::detail::Throttle fetch_log{std::chrono::seconds{5}};
        eh::detail::Throttle settle_log{std::chrono::seconds{5}};
    };

    static std::string consumer_name(const NatsOptions& o) {
        if (o.mode == ConsumerMode::shared) return o.consumer;
        // Unique per process and start; names may not hold '.', '*', '>' or whitespace.
        char host[64] = {};
        gethostname(host, sizeof host - 1);
        std::string name = o.consumer + "-" + host + "-" + std::to_string(getpid()) + "-";
        std::mt19937_64 rng{std::random_device{}()};
        name += std::to_string(rng() % 1'000'000'000);
        for (char& c : name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) c = '_';
        return name;
    }

    static std::int64_t ms_until(clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t - clock::now()).count();
    }

    /// API calls wait at most api_timeout, and no longer than the caller's deadline allows
    /// (but long enough for a healthy server to answer).
    jsOptions api_options(clock::time_point deadline) const {
        jsOptions api;
        jsOptions_Init(&api);
        const std::int64_t longest = std::max<std::int64_t>(options_.api_timeout.count(), 100);
        api.Wait = std::clamp<std::int64_t>(ms_until(deadline), 100, longest);
        return api;
    }

    /// Connected and bound to the consumer by the deadline? Sets up what is missing, with
    /// backoff, and otherwise sleeps until the connection changes.
    bool ready_by(clock::time_point deadline) {
        for (;;) {
            const auto seen = client_.generation();
            const auto now = clock::now();
            if (client_.connected()) {
                if (shared_->bound) return true;
                if (now >= next_setup_ && setup(deadline)) return true;
            } else if (client_.closed() && now >= next_setup_) {
                reopen();
            }
            if (clock::now() >= deadline) return false;
            const bool retrying = client_.connected() || client_.closed();
            client_.wait_change(seen, retrying ? std::min(deadline, next_setup_) : deadline);
        }
    }

    void reopen() {
        if (shared_->setup_log.due())
            eh::logger()->warn("NATS: the connection to {} was closed ({}); opening a new one", client_.where(),
                         client_.last_error());
        shared_->bound = false;
        puller_ = {};
        js_.reset();
        client_.reopen();
        next_setup_ = clock::now() + setup_backoff_.next();
    }

    /// Stream, consumer, subscription; on failure, the next attempt waits a backoff.
    bool setup(clock::time_point deadline) {
        namespace nats = eh::detail::nats;
        jsOptions api = api_options(deadline);
        if (!js_) {
            jsCtx* js = nullptr;
            if (auto s = nats::status(natsConnection_JetStream(&js, client_.get(), &api)); !s)
                return setup_failed("JetStream", s);
            js_.reset(js);
        }
        nats::StreamInfo stream;
        const nats::StreamSpec stream_spec{options_.stream, options_.subject,
                                           options_.storage == StreamStorage::file ? js_FileStorage : js_MemoryStorage,
                                           options_.replicas};
        if (auto s = nats::ensure_stream(js_.get(), stream_spec, api, stream); !s)
            return setup_failed("stream '" + options_.stream + "'", s);
        if (stream->Created != stream_created_) resume_after_ = 0; // a new stream: old sequences mean nothing
        stream_created_ = stream->Created;

        const nats::PullConsumerSpec spec = consumer_spec();
        nats::ConsumerInfo info;
        if (auto s = nats::ensure_consumer(js_.get(), spec, api, info); !s)
            return setup_failed("consumer '" + name_ + "'", s);
        if (auto s = nats::Puller::open(client_.get(), options_.stream, name_, puller_); !s)
            return setup_failed("a subscription for consumer '" + name_ + "'", s);

        shared_->bound = true;
        setup_backoff_.reset();
        shared_->setup_log.rearm();
        note(*info, clock::now());
        eh::logger()->info("NATS: consuming stream '{}' through {} pull consumer '{}' ({} pending)", options_.stream,
                     to_string(options_.mode), name_, pending());
        return true;
    }

    bool setup_failed(const std::string& what, const eh::detail::nats::Status& s) {
        const auto delay = setup_backoff_.next();
        next_setup_ = clock::now() + delay;
        if (shared_->setup_log.due())
            eh::logger()->warn("NATS: cannot set up {} on {}: {} (retrying in {} ms)", what, client_.where(), s.text,
                         delay.count());
        return false;
    }

    eh::detail::nats::PullConsumerSpec consumer_spec() const {
        eh::detail::nats::PullConsumerSpec spec{
            .stream = options_.stream,
            .subject = options_.subject,
            .name = name_,
            .durable = options_.mode == ConsumerMode::shared,
            .inactive_threshold = instance_inactive_threshold,
            .max_ack_pending = options_.max_ack_pending,
            .ack_wait = options_.ack_wait,
            .ack_policy = options_.acks ? js_AckExplicit : js_AckNone,
        };
        if (resume_after_ > 0) { // the consumer vanished: go on where it was
            spec.deliver = js_DeliverByStartSequence;
            spec.start_sequence = resume_after_ + 1;
        } else if (options_.deliver == DeliverPolicy::new_only) {
            spec.deliver = js_DeliverNew;
        } else if (options_.mode == ConsumerMode::instance && options_.replay_window.count() > 0) {
            spec.deliver = js_DeliverByStartTime;
            spec.start_time = std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()) -
                              options_.replay_window;
        }
        return spec;
    }

    /// Every info_every: the lag, the ack floor (where to resume), and whether the consumer
    /// still exists.
    void refresh_info(clock::time_point now, clock::time_point deadline) {
        if (now < next_info_ || !client_.connected()) return;
        next_info_ = now + info_every;
        eh::detail::nats::ConsumerInfo info;
        jsOptions api = api_options(deadline);
        const auto s = eh::detail::nats::consumer_info(js_.get(), options_.stream, name_, api, info);
        if (s) {
            note(*info, now);
        } else if (s.not_found() || s.status == NATS_ERR) {
            // Gone, or its stream is (cnats 3.4 reports a missing stream as a bare error): set
            // up again, which finds what still exists and creates the rest.
            eh::logger()->warn("NATS: consumer '{}' on stream '{}' is gone ({}); creating it again", name_, options_.stream,
                         s.text);
            shared_->bound = false;
            puller_ = {};
            next_setup_ = now;
        }
        // Other failures (a server still starting up): try again next time.
    }

    void note(const jsConsumerInfo& info, clock::time_point now) {
        const std::uint64_t lag = info.NumPending + static_cast<std::uint64_t>(std::max<std::int64_t>(info.NumAckPending, 0));
        shared_->pending.store(lag, std::memory_order_relaxed);
        resume_after_ = std::max(resume_after_, info.AckFloor.Stream);
        progress_.lag(lag, now);
    }

    void settle(std::span<message_type> msgs, std::string_view what, std::string_view body) {
        if (!options_.acks) return; // an AckNone consumer: the server expects nothing
        std::size_t failed = 0;
        eh::detail::nats::Status first;
        for (auto& m : msgs) {
            const natsStatus s = eh::detail::nats::settle(client_.get(), m.get(), body);
            if (s != NATS_OK && failed++ == 0) first = eh::detail::nats::status(s);
        }
        if (failed > 0 && shared_->settle_log.due())
            eh::logger()->warn("NATS: could not {} {} of {} messages ({}); the server delivers them again after the ack wait",
                         what, failed, msgs.size(), first.text);
    }

    NatsOptions options_;
    std::string name_;
    std::unique_ptr<Shared> shared_ = std::make_unique<Shared>();
    eh::detail::nats::Client client_; // before js_ and puller_: they are released first
    eh::detail::nats::JetStream js_;
    eh::detail::nats::Puller puller_;
    eh::detail::nats::Backoff setup_backoff_{std::chrono::milliseconds{100}, std::chrono::seconds{4}};
    clock::time_point next_setup_{}, next_info_{};
    std::uint64_t generation_ = 0; ///< of the connection, when last fetched
    std::int64_t stream_created_ = 0;
    std::uint64_t resume_after_ = 0; ///< the consumer's last known ack floor (stream sequence)
    detail::BacklogProgress progress_;
};

} // namespace eh::transport
