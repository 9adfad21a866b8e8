#pragma once
// Publishes envelopes to JetStream as reva does (subject main-queue), after creating the stream
// as a running ocis would have. Shared by the integration tests and eh-bench, so that what is
// measured is published the way it is tested. Built from the same cnats glue as the transport.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/nats/stream.hpp"

namespace eh::testing {

class NatsPublisher {
public:
    explicit NatsPublisher(const std::string& endpoint, std::string username = {}, std::string password = {})
        : client_(connect_options(endpoint, std::move(username), std::move(password))) {
        jsOptions o;
        jsOptions_Init(&o);
        o.PublishAsync.ErrHandler = [](jsCtx*, jsPubAckErr*, void* closure) {
            static_cast<std::atomic<int>*>(closure)->fetch_add(1);
        };
        o.PublishAsync.ErrHandlerClosure = &async_failures_;
        jsCtx* js = nullptr;
        detail::nats::require(natsConnection_JetStream(&js, client_.get(), &o), "JetStream context");
        js_.reset(js);
    }

    /// Creates the stream as a running ocis would have before eventhistory starts.
    void create_stream(const std::string& stream = "main-queue") {
        detail::nats::StreamInfo info;
        jsOptions api = api_options();
        if (auto s = detail::nats::ensure_stream(js_.get(), {stream, subject_}, api, info); !s)
            throw std::runtime_error("creating stream: " + s.text);
    }

    /// Publishes asynchronously, then waits for every pub ack; throws unless all were acked.
    void publish_all(const std::vector<std::string>& bodies, std::chrono::seconds timeout = std::chrono::seconds{30}) {
        async_failures_ = 0;
        for (const auto& b : bodies) {
            if (auto s = detail::nats::status(
                    js_PublishAsync(js_.get(), subject_.c_str(), b.data(), static_cast<int>(b.size()), nullptr));
                !s)
                throw std::runtime_error("async publish: " + s.text);
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = std::chrono::milliseconds(timeout).count();
        if (auto s = detail::nats::status(js_PublishAsyncComplete(js_.get(), &po)); !s)
            throw std::runtime_error("waiting for pub acks: " + s.text);
        if (async_failures_ > 0) throw std::runtime_error(std::to_string(async_failures_.load()) + " publishes failed");
    }

    /// True once connected (after a server restart, for instance).
    bool connected() const { return client_.connected(); }

protected:
    static jsOptions api_options() {
        jsOptions api;
        jsOptions_Init(&api);
        api.Wait = 5000;
        return api;
    }
    jsCtx* jetstream() const noexcept { return js_.get(); }
    const std::string& subject() const noexcept { return subject_; }

private:
    static detail::nats::ConnectOptions connect_options(const std::string& endpoint, std::string username,
                                                        std::string password) {
        detail::nats::ConnectOptions o;
        o.endpoints = {endpoint};
        o.username = std::move(username);
        o.password = std::move(password);
        o.name = "eh-publisher";
        o.retry_first = std::chrono::milliseconds{20}; // back soon after a server restart
        o.retry_max = std::chrono::milliseconds{200};
        o.send_asap = true; // callers that wait for each reply (tests' publish_reliably) need it
        return o;
    }

    std::string subject_ = "main-queue";
    std::atomic<int> async_failures_{0};
    detail::nats::Client client_;
    detail::nats::JetStream js_;
};

} // namespace eh::testing
