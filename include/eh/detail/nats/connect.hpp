#pragma once
// A NATS connection that never gives up: built from endpoints, name, user/password and TLS,
// it connects in the background when no server answers yet, reconnects forever with
// exponential backoff, and tells waiters when its state changes. Shared by the JetStream
// transport and the NATS stores.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/pacing.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/redact.hpp"
#include "eh/log.hpp"

namespace eh::detail::nats {

struct TlsOptions {
    bool enable = false;
    bool insecure = false;    ///< skip verifying the server certificate (OCIS_INSECURE)
    std::string root_ca_file; ///< PEM file of the CAs to trust; empty: the system's
};

struct ConnectOptions {
    /// "host:port" or a URL ("nats://host:port", "tls://host:port"); an entry may itself be a
    /// comma-separated list, as the OCIS_EVENTS_ENDPOINT variable gives it.
    std::vector<std::string> endpoints{"127.0.0.1:9233"};
    std::string name = "eventhistory"; ///< connection name, shown in the server's monitoring
    std::string username, password;
    TlsOptions tls;
    std::chrono::milliseconds retry_first{100}; ///< backoff between connect attempts...
    std::chrono::milliseconds retry_max{4000};  ///< ...doubling up to this
    /// Write every message at once instead of leaving it to cnats' flusher thread, which
    /// batches writes but waits up to 1 ms first. Worth it for request/reply round trips
    /// (a store waiting for each reply); the JetStream transport is faster without it: it asks
    /// for the next batch ahead of time, and its acks then cost no system call each.
    bool send_asap = false;
};

/// The server URLs of the endpoints, with a scheme added where none was given.
inline std::vector<std::string> server_urls(const std::vector<std::string>& endpoints) {
    std::vector<std::string> urls;
    for (std::string_view list : endpoints) {
        while (!list.empty()) {
            const auto comma = list.find(',');
            std::string_view one = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
            while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
            if (one.empty()) continue;
            urls.push_back(one.find("://") == std::string_view::npos ? "nats://" + std::string(one) : std::string(one));
        }
    }
    return urls;
}

/// A connection plus what its cnats callbacks update. Move-only; closing waits for cnats'
/// last callback, because the callbacks point into this object's state.
class Client {
public:
    /// Connects, or keeps trying in the background when no server answers: never fails for
    /// that. Throws std::invalid_argument for options cnats rejects (no endpoint, unreadable
    /// CA file, ...).
    explicit Client(ConnectOptions o) : state_(std::make_unique<State>(std::move(o))) { open(); }
    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) = delete; // see reopen()
    ~Client() { close(); }

    natsConnection* get() const noexcept { return conn_.get(); }
    bool connected() const noexcept { return state_ && state_->connected; }
    /// Closed for good (cnats gave up): only reopen() helps.
    bool closed() const noexcept { return state_ && state_->closed; }
    /// The endpoints, for messages.
    const std::string& where() const noexcept { return state_->where; }

    /// Counts state changes; pass it to wait_change() to sleep until the next one.
    std::uint64_t generation() const {
        std::lock_guard lock(state_->mutex);
        return state_->generation;
    }
    template <class TimePoint>
    void wait_change(std::uint64_t seen, TimePoint until) const {
        std::unique_lock lock(state_->mutex);
        state_->changed.wait_until(lock, until, [&] { return state_->generation != seen; });
    }

    /// Why the connection failed last, as cnats tells it (e.g. "Authorization Violation").
    std::string last_error() const {
        const char* text = nullptr;
        if (!conn_ || natsConnection_GetLastError(conn_.get(), &text) == NATS_OK || text == nullptr) return {};
        return text;
    }

    /// Starts over with a new connection once cnats has closed this one for good (it does so
    /// after the same authentication error twice in a row).
    void reopen() {
        conn_.reset();
        state_->set(false, false);
        open();
    }

    /// Sends what is buffered (acks included) and waits until the server has processed it.
    Status flush(std::chrono::milliseconds timeout) const {
        if (!conn_) return {};
        return status(natsConnection_FlushTimeout(conn_.get(), timeout.count()));
    }

private:
    struct State {
        explicit State(ConnectOptions o) : options(std::move(o)), backoff(options.retry_first, options.retry_max) {
            for (const auto& url : server_urls(options.endpoints))
                where += (where.empty() ? "" : ",") + redact_urls(url); // never a token in a log line
        }
        void set(bool up, bool gone) {
            std::lock_guard lock(mutex); // notify under the lock: a waiter may free us right after
            connected = up;
            closed = gone;
            ++generation;
            changed.notify_all();
        }

        ConnectOptions options;
        std::string where;
        Backoff backoff;
        Throttle waiting_log{std::chrono::seconds{5}};
        Throttle error_log{std::chrono::seconds{5}};
        std::atomic<bool> connected{false}, closed{false}, closing{false};
        mutable std::mutex mutex;
        std::condition_variable changed;
        std::uint64_t generation = 0;
    };

    static std::string connected_url(natsConnection* nc) {
        char buf[256] = {};
        if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK) return "NATS";
        return redact_urls(buf);
    }

    // cnats calls these from its own threads.
    static void on_connected(natsConnection* nc, void* closure) {
        auto* s = static_cast<State*>(closure);
        s->set(true, false);
        s->waiting_log.rearm();
        eh::logger()->info("NATS: connected to {}", connected_url(nc));
    }
    static void on_disconnected(natsConnection*, void* closure) {
        auto* s = static_cast<State*>(closure);
        if (s->closing) return; // our own close, not an outage
        s->set(false, false);
        eh::logger()->warn("NATS: lost the connection to {}; reconnecting", s->where);
    }
    static void on_closed(natsConnection*, void* closure) {
        auto* s = static_cast<State*>(closure);
        eh::logger()->debug("NATS: connection to {} closed", s->where);
        s->set(false, true); // last: the closer may free s once it sees this
    }
    static std::int64_t on_reconnect_delay(natsConnection*, int attempts, void* closure) {
        auto* s = static_cast<State*>(closure);
        const auto delay = s->backoff.delay(attempts);
        if (s->waiting_log.due())
            eh::logger()->warn("NATS: waiting for {} (attempt {}, next in {} ms)", s->where, attempts, delay.count());
        return delay.count();
    }
    static void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
        auto* s = static_cast<State*>(closure);
        if (s->error_log.due()) eh::logger()->warn("NATS: {} ({})", natsStatus_GetText(err), s->where);
    }

    void open() {
        Options opts = make_options(*state_);
        natsConnection* nc = nullptr;
        const natsStatus s = natsConnection_Connect(&nc, opts.get());
        if (s == NATS_OK) {
            state_->set(true, false);
            eh::logger()->info("NATS: connected to {}", connected_url(nc));
        } else if (s == NATS_NOT_YET_CONNECTED) {
            if (state_->waiting_log.due())
                eh::logger()->warn("NATS: no connection to {} yet; retrying in the background", state_->where);
        } else {
            require(s, "connecting to " + state_->where);
        }
        conn_.reset(nc);
    }

    static Options make_options(State& state) {
        const ConnectOptions& o = state.options;
        natsOptions* raw = nullptr;
        require(natsOptions_Create(&raw), "creating options");
        Options opts(raw);
        natsOptions* p = opts.get();
        const std::vector<std::string> urls = server_urls(o.endpoints);
        if (urls.empty()) throw std::invalid_argument("NATS: no endpoint given");
        std::vector<const char*> url_ptrs;
        for (const auto& u : urls) url_ptrs.push_back(u.c_str());
        require(natsOptions_SetServers(p, url_ptrs.data(), static_cast<int>(url_ptrs.size())), "endpoints " + state.where);
        require(natsOptions_SetName(p, o.name.c_str()), "connection name");
        if (!o.username.empty() || !o.password.empty())
            require(natsOptions_SetUserInfo(p, o.username.c_str(), o.password.c_str()), "user/password");
        if (o.tls.enable) {
            require(natsOptions_SetSecure(p, true), "TLS");
            if (const std::string& ca = o.tls.root_ca_file; !ca.empty()) {
                // cnats' own message for this ends in "(null)": say it plainly.
                if (!std::ifstream(ca)) throw std::invalid_argument("NATS: TLS root CA file " + ca + " is not readable");
                require(natsOptions_LoadCATrustedCertificates(p, ca.c_str()), "TLS root CA file " + ca);
            }
            if (o.tls.insecure) require(natsOptions_SkipServerVerification(p, true), "TLS skip verify");
        }
        require(natsOptions_SetSendAsap(p, o.send_asap), "send asap");
        require(natsOptions_SetMaxReconnect(p, -1), "max reconnect");
        require(natsOptions_SetCustomReconnectDelay(p, on_reconnect_delay, &state), "reconnect delay");
        require(natsOptions_SetRetryOnFailedConnect(p, true, on_connected, &state), "retry on failed connect");
        require(natsOptions_SetReconnectedCB(p, on_connected, &state), "reconnected callback");
        require(natsOptions_SetDisconnectedCB(p, on_disconnected, &state), "disconnected callback");
        require(natsOptions_SetClosedCB(p, on_closed, &state), "closed callback");
        require(natsOptions_SetErrorHandler(p, on_error, &state), "error handler");
        return opts;
    }

    void close() noexcept {
        if (!conn_) return;
        state_->closing = true;
        natsConnection_Close(conn_.get());
        {
            std::unique_lock lock(state_->mutex);
            if (!state_->changed.wait_for(lock, std::chrono::seconds{5}, [&] { return state_->closed.load(); })) {
                // cnats may still call into the state: leaking it beats a use after free.
                lock.unlock();
                state_.release();
            }
        }
        conn_.reset();
    }

    std::unique_ptr<State> state_; // declared first: freed after the connection
    Connection conn_;
};

} // namespace eh::detail::nats
