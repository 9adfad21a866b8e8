#pragma once
// Publishes envelopes to JetStream as reva does (subject main-queue), after creating the stream
// as a running ocis would have, and reads back the stream and consumer state tests assert on.
// Shared by the integration tests and eh-bench, so that what is measured is published the way
// it is tested. Built from the same cnats glue as the transport. ContinuousPublisher publishes
// from a thread of its own, for tests that disrupt ingest while events keep coming.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nats/nats.h>

#include "eh/detail/nats/connect.hpp"
#include "eh/detail/nats/consumer.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/nats/stream.hpp"
#include "eh/testing/generator.hpp"

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

    /// Publishes until the server acked, retrying across outages; the message id makes the
    /// server drop the copies a retry may create. Returns false if the deadline passed.
    bool publish_reliably(std::string_view body, const std::string& msg_id,
                          std::chrono::seconds timeout = std::chrono::seconds{30}) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msg_id.c_str();
        po.MaxWait = 500;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (js_Publish(nullptr, jetstream(), subject().c_str(), body.data(), static_cast<int>(body.size()), &po,
                           nullptr) == NATS_OK)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds{20}); // the server is away: do not spin
        }
        return false;
    }

    detail::nats::StreamInfo stream_info(const std::string& stream = "main-queue") {
        jsStreamInfo* si = nullptr;
        jsOptions api = api_options();
        if (auto s = detail::nats::status(js_GetStreamInfo(&si, jetstream(), stream.c_str(), &api, nullptr)); !s)
            throw std::runtime_error("stream info: " + s.text);
        return detail::nats::StreamInfo(si);
    }

    detail::nats::ConsumerInfo consumer_info(const std::string& consumer, const std::string& stream = "main-queue") {
        detail::nats::ConsumerInfo info;
        jsOptions api = api_options();
        if (auto s = detail::nats::consumer_info(jetstream(), stream, consumer, api, info); !s)
            throw std::runtime_error("consumer info of '" + consumer + "': " + s.text);
        return info;
    }

    /// Names of the stream's consumers.
    std::vector<std::string> consumers(const std::string& stream = "main-queue") {
        jsConsumerNamesList* list = nullptr;
        jsOptions api = api_options();
        if (auto s = detail::nats::status(js_ConsumerNames(&list, jetstream(), stream.c_str(), &api, nullptr)); !s) {
            if (s.not_found()) return {}; // cnats' way of saying "none"
            throw std::runtime_error("consumer names: " + s.text);
        }
        std::vector<std::string> names(list->List, list->List + list->Count);
        jsConsumerNamesList_Destroy(list);
        return names;
    }

    /// A durable pull consumer made by someone else, with these settings.
    void add_pull_consumer(const std::string& name, jsAckPolicy ack, const std::string& filter,
                           const std::string& stream = "main-queue") {
        jsConsumerConfig cfg;
        jsConsumerConfig_Init(&cfg);
        cfg.Durable = name.c_str();
        cfg.AckPolicy = ack;
        cfg.FilterSubject = filter.c_str();
        jsConsumerInfo* ci = nullptr;
        jsOptions api = api_options();
        if (auto s = detail::nats::status(js_AddConsumer(&ci, jetstream(), stream.c_str(), &cfg, &api, nullptr)); !s)
            throw std::runtime_error("adding consumer: " + s.text);
        jsConsumerInfo_Destroy(ci);
    }

    /// The ocis stream, carrying other subjects too.
    void create_stream_with(const std::vector<std::string>& subjects, const std::string& stream = "main-queue") {
        std::vector<const char*> list;
        for (const auto& subject : subjects) list.push_back(subject.c_str());
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = stream.c_str();
        cfg.Subjects = list.data();
        cfg.SubjectsLen = static_cast<int>(list.size());
        jsStreamInfo* si = nullptr;
        jsOptions api = api_options();
        if (auto s = detail::nats::status(js_AddStream(&si, jetstream(), &cfg, &api, nullptr)); !s)
            throw std::runtime_error("adding stream: " + s.text);
        jsStreamInfo_Destroy(si);
    }

    void delete_consumer(const std::string& consumer, const std::string& stream = "main-queue") {
        jsOptions api = api_options();
        if (auto s = detail::nats::status(js_DeleteConsumer(jetstream(), stream.c_str(), consumer.c_str(), &api, nullptr)); !s)
            throw std::runtime_error("deleting consumer: " + s.text);
    }

private:
    static jsOptions api_options() {
        jsOptions api;
        jsOptions_Init(&api);
        api.Wait = 5000;
        return api;
    }
    jsCtx* jetstream() const noexcept { return js_.get(); }
    const std::string& subject() const noexcept { return subject_; }

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

/// Publishes events from a thread of its own, each acked by the server (retrying across
/// outages), with a pause after every 16. It holds after the first `hold_at` events until
/// release(): a test waits for ingest to reach some point, disrupts it, then releases the
/// rest, so the disruption falls mid-publishing however fast or slow the machine is.
class ContinuousPublisher {
public:
    ContinuousPublisher(const std::string& endpoint, const std::vector<GeneratedEvent>& events,
                        std::size_t hold_at, std::chrono::milliseconds pause = {})
        : pub_(endpoint), thread_([this, &events, hold_at, pause] {
              for (std::size_t i = 0; i < events.size(); ++i) {
                  if (i == hold_at) {
                      std::unique_lock lock(mutex_);
                      released_cv_.wait(lock, [&] { return released_; });
                  }
                  if (!pub_.publish_reliably(events[i].envelope, events[i].event.id, std::chrono::seconds{90}))
                      failed_ = true;
                  if (++sent_ % 16 == 0 && pause.count() > 0) std::this_thread::sleep_for(pause);
              }
          }) {}
    ~ContinuousPublisher() { finish(); }

    /// Lets the events after hold_at go.
    void release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        released_cv_.notify_all();
    }
    /// Releases, waits until every event is published; false if one could not be.
    bool finish() {
        release();
        if (thread_.joinable()) thread_.join();
        return !failed_;
    }
    std::size_t sent() const { return sent_; }

private:
    NatsPublisher pub_;
    std::mutex mutex_;
    std::condition_variable released_cv_;
    bool released_ = false;
    std::atomic<std::size_t> sent_{0};
    std::atomic<bool> failed_{false};
    std::jthread thread_; // last: it starts once the members above exist
};

} // namespace eh::testing
