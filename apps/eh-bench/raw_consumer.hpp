#pragma once
// The ingest ceilings: a raw cnats pull consumer on the workload's stream that fetches a batch,
// optionally hands it to a store's raw write, then acks each message. Nothing else: no
// decode, no daemon. The store ceilings (nats_kv_ceiling.hpp, redis_ceiling.hpp) are this
// consumer plus their write.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "eh/detail/nats/consumer.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "latency.hpp"

namespace eh_bench {

namespace nats = eh::detail::nats;

inline constexpr std::string_view stream = "main-queue";

/// A plain connection to endpoint. SendAsap: cnats' flusher would wait up to 1 ms per fetch, and
/// the ceiling must be the fastest a bare consumer can go.
inline nats::Connection connect_nats(const std::string& endpoint) {
    natsOptions* raw_options = nullptr;
    nats::require(natsOptions_Create(&raw_options), "NATS options");
    const nats::Options options(raw_options);
    const std::string url = "nats://" + endpoint;
    const char* urls[] = {url.c_str()};
    nats::require(natsOptions_SetServers(raw_options, urls, 1), "NATS servers");
    nats::require(natsOptions_SetSendAsap(raw_options, true), "NATS SendAsap");
    natsConnection* raw_connection = nullptr;
    nats::require(natsConnection_Connect(&raw_connection, raw_options), "connecting to " + url);
    return nats::Connection(raw_connection);
}

inline nats::JetStream jetstream(natsConnection* connection) {
    jsCtx* raw_js = nullptr;
    nats::require(natsConnection_JetStream(&raw_js, connection, nullptr), "JetStream context");
    return nats::JetStream(raw_js);
}

inline jsOptions api_options() {
    jsOptions api;
    jsOptions_Init(&api);
    api.Wait = 5000;
    return api;
}

/// Deletes the durable consumer name of the workload's stream, when there is one (a shared
/// store's daemon leaves it; an instance consumer is gone already).
inline void delete_consumer(const std::string& endpoint, const std::string& name) {
    const nats::Connection connection = connect_nats(endpoint);
    const nats::JetStream js = jetstream(connection.get());
    jsOptions api = api_options();
    js_DeleteConsumer(js.get(), std::string(stream).c_str(), name.c_str(), &api, nullptr);
}

/// A store's raw write of the records of the run's messages [first, first + n), returning
/// once the store would count them as stored. The i-th message of the stream carries the
/// workload's i-th event (modulo its size, on a stream that held more): a fresh consumer
/// reads the stream in order.
using BatchWrite = std::function<void(std::size_t first, std::size_t n)>;

/// Whether the raw consumer acks each message (as the daemon with a shared store does) or
/// reads an AckNone consumer (as the daemon with its memory store does).
enum class Acks { each, none };

/// Fetches `batch` at a time, writes each batch (when write is set), then acks each message
/// (Acks::each). Messages per second from the first fetched message to the last ack flushed.
inline double raw_consumer_rate(const std::string& endpoint, std::size_t count, int batch, const std::string& name,
                                const BatchWrite& write = {}, Acks acks = Acks::each) {
    const nats::Connection connection = connect_nats(endpoint);
    const nats::JetStream js = jetstream(connection.get());
    jsOptions api = api_options();
    const nats::PullConsumerSpec spec{.stream = std::string(stream), .subject = std::string(stream), .name = name,
                                      .max_ack_pending = 10'000, .ack_wait = std::chrono::seconds{30},
                                      .ack_policy = acks == Acks::each ? js_AckExplicit : js_AckNone};
    nats::ConsumerInfo info;
    if (auto s = nats::ensure_consumer(js.get(), spec, api, info); !s)
        throw std::runtime_error("raw consumer: " + s.text);
    jsSubOptions sub_options;
    jsSubOptions_Init(&sub_options);
    sub_options.Stream = spec.stream.c_str();
    sub_options.Consumer = name.c_str();
    natsSubscription* raw_sub = nullptr;
    nats::require(
        js_PullSubscribe(&raw_sub, js.get(), spec.subject.c_str(), name.c_str(), &api, &sub_options, nullptr),
        "raw pull subscription");
    nats::Subscription sub(raw_sub);
    std::size_t got = 0;
    Clock::time_point first{};
    const auto deadline = Clock::now() + std::chrono::minutes{10};
    while (got < count) {
        if (Clock::now() > deadline) throw std::runtime_error("raw consumer: stalled at " + std::to_string(got));
        natsMsgList list{};
        if (natsSubscription_Fetch(&list, raw_sub, batch, 500, nullptr) != NATS_OK) continue;
        const std::unique_ptr<natsMsgList, decltype(&natsMsgList_Destroy)> owned(&list, natsMsgList_Destroy);
        if (got == 0) first = Clock::now();
        if (write) write(got, static_cast<std::size_t>(list.Count));
        if (acks == Acks::each)
            for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
        got += static_cast<std::size_t>(list.Count);
    }
    nats::require(natsConnection_FlushTimeout(connection.get(), 10'000), "flushing acks");
    const double seconds = ms_since(first) / 1000;
    sub.reset();
    js_DeleteConsumer(js.get(), spec.stream.c_str(), name.c_str(), &api, nullptr);
    return static_cast<double>(count) / seconds;
}

} // namespace eh_bench
