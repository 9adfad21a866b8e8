#pragma once
// Registry `nats-js-kv`: this node in ocis's service registry (docs/ocis-contract.md section 5), the way
// ocis-pkg/natsjsregistry keeps it: one record (service.hpp) in the KV bucket
// `service-registry` under the table `service-registry` (eh/detail/natsjskv/record.hpp),
// metadata null; the bucket created when missing with memory storage and max age = the TTL.
//
//   eh::registry::NatsJsKvRegistrar registrar(options, node);   // registers in the background
//   ...                                                           // problem(): "" or why not
//   registrar.deregister();                                       // deletes the record
//
// A thread of its own puts the record as soon as NATS answers and again every interval (each
// put renews the record's age), at once after NATS reconnected (a restarted server has lost
// the memory bucket: it is created again), and after a failure with backoff up to the
// interval. Failures never reach the caller: problem() says why (for /readyz) and failures()
// counts them (for /metrics). A crashed process's record goes when its TTL passes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

#include <nats/nats.h>

#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/pacing.hpp"
#include "eh/detail/throttle.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/natsjskv/bucket.hpp"
#include "eh/detail/natsjskv/record.hpp"
#include "eh/detail/thread_name.hpp"
#include "eh/log.hpp"
#include "eh/registry/service.hpp"

namespace eh::registry {

struct NatsJsKvOptions {
    eh::detail::nats::ConnectOptions connection{.name = "nats-js-kv-registry"}; ///< MICRO_REGISTRY_ADDRESS, auth
    std::chrono::nanoseconds ttl = std::chrono::seconds{30};      ///< EXPERIMENTAL_REGISTER_TTL: the bucket's max age
    std::chrono::nanoseconds interval = std::chrono::seconds{25}; ///< EXPERIMENTAL_REGISTER_INTERVAL: between puts
    std::string bucket = "service-registry";
    std::string table = "service-registry";
};

class NatsJsKvRegistrar {
public:
    /// Starts registering `node` in the background. Throws std::invalid_argument for
    /// connection options cnats rejects.
    NatsJsKvRegistrar(NatsJsKvOptions options, ServiceNode node)
        : options_(std::move(options)), node_(std::move(node)), client_(options_.connection) {
        eh::detail::natsjskv::key(options_.table, plain_key(node_), key_);
        eh::detail::natsjskv::record(plain_key(node_), service_json(node_), [](std::string& o) { o += "null"; }, record_);
        set_problem("not registered yet");
        thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    }
    NatsJsKvRegistrar(const NatsJsKvRegistrar&) = delete;
    NatsJsKvRegistrar& operator=(const NatsJsKvRegistrar&) = delete;
    ~NatsJsKvRegistrar() { deregister(); }

    /// Stops refreshing and deletes the record (a graceful stop); waits at most about
    /// `timeout` for NATS. Does nothing the second time.
    void deregister(std::chrono::milliseconds timeout = std::chrono::seconds{2}) {
        if (!thread_.joinable()) return;
        thread_.request_stop();
        thread_.join();
        if (!bucket_ || !client_.connected()) return;
        if (const auto s = eh::detail::nats::status(kvStore_Delete(bucket_.get(), key_.c_str())); !s)
            eh::logger()->warn("registry: deregistering {} failed: {}", node_.name + "-" + node_.server_id, s.text);
        else
            eh::logger()->info("registry: deregistered {} from {}", node_.name + "-" + node_.server_id, options_.bucket);
        client_.flush(timeout);
        registered_ = false;
    }

    /// "" while registered, else why not. Any thread.
    std::string problem() const {
        std::lock_guard lock(mutex_);
        return problem_;
    }
    bool registered() const noexcept { return registered_; }
    /// Registrations that were due and failed so far (no connection, or NATS refused). Any thread.
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }
    const ServiceNode& node() const noexcept { return node_; }
    /// The record's KV key and value, exactly as written.
    const std::string& key() const noexcept { return key_; }
    const std::string& record() const noexcept { return record_; }

private:
    void run(std::stop_token stop) {
        eh::detail::name_this_thread("eh-registry");
        using clock = std::chrono::steady_clock;
        const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval);
        eh::detail::nats::Backoff backoff(std::chrono::milliseconds{100}, std::max(interval, std::chrono::milliseconds{100}));
        auto generation = client_.generation();
        while (!stop.stop_requested()) {
            auto next = clock::now() + interval;
            if (client_.closed()) reopen();
            if (!client_.connected()) {
                const std::string error = client_.last_error(); // cnats' text, e.g. an authorization violation
                const std::string why = error.empty() ? "" : ": " + error;
                fail("not registered: no connection to NATS at " + client_.where() + why,
                     "not registered: no connection to NATS" + why + " (details in the log)");
            } else if (put()) {
                backoff.reset();
            } else {
                next = clock::now() + backoff.next();
            }
            // Until the next put, or at once when the connection changed (a reconnect may
            // have lost the bucket); in slices, so that a stop is seen soon.
            while (!stop.stop_requested() && clock::now() < next) {
                client_.wait_change(generation, std::min(next, clock::now() + std::chrono::milliseconds{200}));
                if (const auto g = client_.generation(); g != generation) {
                    generation = g;
                    if (client_.connected()) break;
                    registered_ = false;
                    set_problem("not registered: no connection to NATS (details in the log)");
                }
            }
        }
    }

    /// A new connection once cnats gave up on this one (after the same auth error twice).
    void reopen() noexcept {
        bucket_.reset();
        js_.reset();
        try {
            client_.reopen();
        } catch (const std::exception& e) {
            fail(std::string("not registered: ") + e.what(), "not registered: cannot connect to NATS (details in the log)");
        }
    }

    /// One put of the record; false (and why in problem()) when it failed.
    bool put() {
        namespace n = eh::detail::nats;
        n::Status s;
        if (!js_) {
            jsCtx* js = nullptr;
            s = n::status(natsConnection_JetStream(&js, client_.get(), nullptr));
            js_.reset(js);
        }
        if (js_ && !bucket_)
            bucket_ = eh::detail::natsjskv::open_bucket(
                js_.get(), {.name = options_.bucket, .ttl = options_.ttl, .memory = true, .replicas = 1,
                            .description = "KeyValue storage administered by go-micro store plugin"},
                s);
        if (bucket_) {
            s = n::status(kvStore_Put(nullptr, bucket_.get(), key_.c_str(), record_.data(), static_cast<int>(record_.size())));
            if (s) {
                if (!registered_.exchange(true))
                    eh::logger()->info("registry: registered {} at {} in {} on {}", node_.name + "-" + node_.server_id,
                                 node_.address, options_.bucket, client_.where());
                set_problem({});
                failure_log_.rearm();
                return true;
            }
            bucket_.reset(); // the bucket may be gone (a restarted server, a deleted bucket): open it again
        }
        fail("not registered in " + options_.bucket + " on " + client_.where() + ": " + s.text,
             "not registered: " + s.text + " (details in the log)");
        return false;
    }

    /// A registration that was due and did not happen: detail for the log, summary (what
    /// failed, not where) for problem().
    void fail(const std::string& detail, std::string summary) {
        registered_ = false;
        failures_.fetch_add(1, std::memory_order_relaxed);
        set_problem(std::move(summary));
        if (failure_log_.due()) eh::logger()->warn("registry: {}; retrying", detail);
    }

    void set_problem(std::string why) {
        std::lock_guard lock(mutex_);
        problem_ = std::move(why);
    }

    NatsJsKvOptions options_;
    ServiceNode node_;
    std::string key_, record_;
    eh::detail::nats::Client client_;
    eh::detail::nats::JetStream js_;        // used by the thread, then by deregister()
    eh::detail::natsjskv::Bucket bucket_;   // idem
    std::atomic<bool> registered_{false};
    std::atomic<std::uint64_t> failures_{0};
    eh::detail::Throttle failure_log_{std::chrono::seconds{10}};
    mutable std::mutex mutex_;
    std::string problem_;
    std::jthread thread_; // last: stopped before the rest goes
};

} // namespace eh::registry
