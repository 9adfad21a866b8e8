#pragma once
// Many JetStream requests in flight on one connection: KV puts (publishes whose reply is the
// pub ack) and direct gets. Each request's reply comes to <inbox>.<its number>, so replies
// may arrive in any order; at most `window` are outstanding, so the reply subscription never
// overflows however long the batch. One round trip for a whole batch instead of one per event.
//
// A reply subscription costs a SUB and an UNSUB, so a Pipeline keeps them for the next
// request of any thread (as nats.go shares one response subscription): a one-id get is then
// a publish and its reply, no more.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/error.hpp"

namespace eh::store::detail::nats_kv {

struct Request {
    std::string subject;
    std::string payload;
    /// Publish with "Nats-Expected-Last-Subject-Sequence": stored only if the subject's last
    /// message has this sequence (0: only if the subject is new), else error 10071.
    std::optional<std::uint64_t> expected_last_subject_seq{};
    std::vector<std::pair<std::string, std::string>> headers{};
};

/// How a round of requests reaches the server.
enum class Send {
    flush,  ///< end each round with natsConnection_Flush (a PING/PONG): for buffered connections
    at_once ///< the connection writes each message at once (ConnectOptions::send_asap)
};

[[noreturn]] inline void fail(std::string_view what, natsStatus s) {
    throw StoreError("nats-js-kv: " + std::string(what) + ": " + eh::detail::nats::status(s).text);
}

/// One reply subscription: <inbox>.* on one connection. Used by one exchange at a time.
class ReplyBox {
public:
    explicit ReplyBox(natsConnection* nc) : nc_(nc) {
        natsInbox* box = nullptr; // "_INBOX.<unique>"
        if (auto s = natsInbox_Create(&box); s != NATS_OK) fail("creating an inbox", s);
        inbox_ = std::string(box) + ".";
        natsInbox_Destroy(box);
        natsSubscription* raw = nullptr;
        if (auto s = natsConnection_SubscribeSync(&raw, nc, (inbox_ + "*").c_str()); s != NATS_OK) fail("subscribing", s);
        sub_.reset(raw);
        natsSubscription_SetPendingLimits(raw, -1, -1); // the window bounds it
    }

    natsConnection* connection() const noexcept { return nc_; }

    /// Sends every request and returns the replies in request order (each an owned message).
    /// Throws StoreError when the connection fails or a reply does not come within timeout;
    /// the box must not be used again then (late replies may still come to it).
    std::vector<eh::detail::nats::Message> exchange(const std::vector<Request>& requests,
                                                    std::chrono::milliseconds timeout, Send send,
                                                    std::size_t window = 4096) {
        namespace n = eh::detail::nats;
        std::vector<n::Message> replies(requests.size());
        std::size_t sent = 0, received = 0;
        auto send_up_to = [&](std::size_t end) {
            for (; sent < end; ++sent) {
                const Request& r = requests[sent];
                natsMsg* m = nullptr;
                const std::string reply = inbox_ + std::to_string(sent);
                if (auto s = natsMsg_Create(&m, r.subject.c_str(), reply.c_str(), r.payload.data(),
                                            static_cast<int>(r.payload.size()));
                    s != NATS_OK)
                    fail("creating a message", s);
                n::Msg msg(m);
                if (r.expected_last_subject_seq)
                    natsMsgHeader_Set(m, "Nats-Expected-Last-Subject-Sequence",
                                      std::to_string(*r.expected_last_subject_seq).c_str());
                for (const auto& [key, value] : r.headers) natsMsgHeader_Set(m, key.c_str(), value.c_str());
                if (auto s = natsConnection_PublishMsg(nc_, m); s != NATS_OK) fail("sending " + r.subject, s);
            }
            if (send == Send::flush)
                if (auto s = natsConnection_Flush(nc_); s != NATS_OK) fail("sending", s);
        };
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        send_up_to(std::min(requests.size(), window));
        while (received < requests.size()) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            natsMsg* m = nullptr;
            if (auto s = natsSubscription_NextMsg(&m, sub_.get(), std::max<std::int64_t>(left.count(), 1)); s != NATS_OK)
                throw StoreError("nats-js-kv: " + std::to_string(requests.size() - received) + " of " +
                                 std::to_string(requests.size()) + " requests unanswered (" + n::status(s).text + ")");
            n::Message msg(m);
            const std::string_view subject = natsMsg_GetSubject(m);
            std::size_t i = 0;
            for (char c : subject.substr(inbox_.size())) i = i * 10 + static_cast<std::size_t>(c - '0');
            if (i >= sent || replies[i].get() != nullptr) continue; // not ours, or a repeat
            replies[i] = std::move(msg);
            ++received;
            // Refill in chunks: each send ends in one flush.
            if (sent < requests.size() && sent - received <= window / 2)
                send_up_to(std::min(requests.size(), received + window));
        }
        return replies;
    }

private:
    natsConnection* nc_;
    std::string inbox_; // "<inbox>."
    eh::detail::nats::Subscription sub_;
};

/// Requests of any number of threads over one client's connection, reply boxes reused.
class Pipeline {
public:
    Pipeline(const eh::detail::nats::Client& client, Send send) : client_(client), send_(send) {}

    /// As ReplyBox::exchange.
    std::vector<eh::detail::nats::Message> run(const std::vector<Request>& requests,
                                               std::chrono::milliseconds timeout) const {
        if (requests.empty()) return {};
        std::unique_ptr<ReplyBox> box = take();
        auto replies = box->exchange(requests, timeout, send_); // on a throw, the box goes
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(box));
        return replies;
    }

private:
    std::unique_ptr<ReplyBox> take() const {
        natsConnection* nc = client_.get();
        {
            std::lock_guard lock(mutex_);
            while (!idle_.empty()) {
                auto box = std::move(idle_.back());
                idle_.pop_back();
                if (box->connection() == nc) return box;
            }
        }
        return std::make_unique<ReplyBox>(nc);
    }

    const eh::detail::nats::Client& client_;
    Send send_;
    mutable std::mutex mutex_;
    mutable std::vector<std::unique_ptr<ReplyBox>> idle_; // at most one per thread that ever waited
};

/// One round of requests on a reply box of its own, flushed (for one-off callers).
inline std::vector<eh::detail::nats::Message> run_pipeline(natsConnection* nc, const std::vector<Request>& requests,
                                                           std::chrono::milliseconds timeout) {
    if (requests.empty()) return {};
    return ReplyBox(nc).exchange(requests, timeout, Send::flush);
}

} // namespace eh::store::detail::nats_kv
