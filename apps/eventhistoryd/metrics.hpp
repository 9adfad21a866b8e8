#pragma once
// The /metrics page: EventHistory's counters, the gRPC calls, consumer lag, stored events.
#include <string>

#include "eh/concepts.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/server/prometheus.hpp"

namespace eventhistoryd {

template <class History>
std::string render_metrics(const History& history, const eh::server::GrpcServer<History>& grpc,
                           std::string_view version) {
    using eh::server::MetricType;
    eh::server::PrometheusText text;
    text.family("eventhistory_build_info", MetricType::gauge, "Build information (ocis exports the same)")
        .sample({{"version", version}}, 1);
    eh::server::write_counters(text, history.counters());
    text.single("eventhistory_consumer_pending", MetricType::gauge,
                "Messages of the consumer not yet delivered or not yet acknowledged",
                history.transport().pending());
    if constexpr (eh::HasSize<typename History::store_type>)
        text.single("eventhistory_stored_events", MetricType::gauge, "Events the store holds",
                    history.store().size());
    text.family("eventhistory_grpc_requests_total", MetricType::counter, "gRPC requests by method and status code");
    grpc.metrics().for_each([&](std::string_view method, std::string_view code, std::uint64_t count) {
        text.sample({{"method", method}, {"code", code}}, count);
    });
    return text.text();
}

} // namespace eventhistoryd
