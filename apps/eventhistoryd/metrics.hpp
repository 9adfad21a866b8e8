#pragma once
// The /metrics page: EventHistory's counters, the gRPC calls, consumer lag, stored events, the
// service registry.
#include <string>
#include <string_view>

#include "eh/concepts.hpp"
#include "eh/registry/nats_js_kv.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/server/prometheus.hpp"

namespace eventhistoryd {

/// grpc and registrar are null when disabled.
template <class History>
std::string render_metrics(const History& history, const eh::server::GrpcServer<History>* grpc,
                           const eh::registry::NatsJsKvRegistrar* registrar, std::string_view version) {
    using eh::server::MetricType;
    eh::server::PrometheusText text;
    text.family("eventhistory_build_info", MetricType::gauge, "Build information (ocis exports the same)")
        .sample({{"version", version}}, 1);
    eh::server::write_counters(text, history.counters());
    if constexpr (requires { history.transport().pending(); })
        text.single("eventhistory_consumer_pending", MetricType::gauge,
                    "Messages of the consumer not yet delivered or not yet acknowledged",
                    history.transport().pending());
    if constexpr (eh::HasSize<typename History::store_type>)
        text.single("eventhistory_stored_events", MetricType::gauge, "Events the store holds",
                    history.store().size());
    if (grpc) {
        text.family("eventhistory_grpc_requests_total", MetricType::counter, "gRPC requests by method and status code");
        grpc->metrics().for_each([&](std::string_view method, std::string_view code, std::uint64_t count) {
            text.sample({{"method", method}, {"code", code}}, count);
        });
        text.single("eventhistory_grpc_in_flight", MetricType::gauge, "gRPC calls queued or running now",
                    grpc->in_flight());
        text.single("eventhistory_grpc_abandoned_total", MetricType::counter,
                    "gRPC calls whose client cancelled or whose deadline passed before the answer", grpc->abandoned());
    }
    if (registrar) {
        text.single("eventhistory_registry_registered", MetricType::gauge,
                    "1 while this node's record is in the service registry", registrar->registered() ? 1 : 0);
        text.single("eventhistory_registry_failures_total", MetricType::counter,
                    "Failed attempts to register in the service registry", registrar->failures());
    }
    return text.text();
}

} // namespace eventhistoryd
