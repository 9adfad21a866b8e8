#pragma once
// `eventhistoryd server`: one EventHistory<Transport, Store> with its gRPC API, its record in
// the service registry and the debug server, until SIGTERM or SIGINT. Then: leave the
// registry (ocis's clients stop picking this node), stop fetching, finish and settle the
// batch in hand, flush the acks, stop serving, exit 0. The transport is NATS JetStream, or
// `idle` with events disabled; gRPC (and with it the registry) may be disabled.
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "eh/concepts.hpp"
#include "eh/config/settings.hpp"
#include "eh/config/store_settings.hpp"
#include "eh/detail/thread_name.hpp"
#include "eh/event_history.hpp"
#include "eh/registry/nats_js_kv.hpp"
#include "eh/registry/node_address.hpp"
#include "eh/registry/service.hpp"
#include "eh/server/debug_http.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/transport/idle.hpp"
#include "eh/transport/nats_jetstream.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "stores.hpp"

namespace eventhistoryd {

/// Blocks SIGTERM and SIGINT in this thread and every thread started after: the main thread
/// takes them with wait_for_stop_signal() instead of a handler interrupting anything.
inline sigset_t block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

inline int wait_for_stop_signal(const sigset_t& set) {
    int signal = 0;
    while (sigwait(&set, &signal) != 0) {
    }
    return signal;
}

/// "" when ready, else why not, a line per reason: NATS, the store, the registry. What failed,
/// never where: hosts, master and bucket names stay in the log, which has the details.
template <class History>
std::string readiness(const History& history, const eh::registry::NatsJsKvRegistrar* registrar) {
    std::string why;
    if constexpr (eh::HasReady<typename History::transport_type>)
        if (!history.transport().ready()) why = "NATS not ready: no connection or consumer yet (details in the log)\n";
    if (why.empty() && !history.ready()) {
        const std::string store = history.last_store_error();
        why = "store not ready: " + (store.empty() ? std::string("not reached yet") : store) + " (details in the log)\n";
    }
    if (registrar)
        if (const std::string problem = registrar->problem(); !problem.empty()) why += "registry: " + problem + "\n";
    return why;
}

/// ocis's debug settings without a meaning here, said once at start-up.
inline void note_debug_settings(const eh::config::Settings& s) {
    if (s.debug.pprof)
        spdlog::info("debug.pprof is set: Go's pprof does not exist in this C++ service; nothing is served for it");
    if (s.debug.zpages)
        spdlog::info("debug.zpages is set: zpages are not available in this service; nothing is served for them");
}

/// Where events come from, for the start-up line.
template <class History>
std::string events_description(const History& history) {
    if constexpr (std::is_same_v<typename History::transport_type, eh::transport::NatsJetStream>)
        return "from consumer " + history.transport().consumer() + " (" +
               std::string(eh::transport::to_string(history.transport().options().mode)) + ")";
    else
        return "disabled";
}

/// The node to register for the gRPC server now serving.
template <class Grpc>
eh::registry::ServiceNode registry_node(const eh::config::Settings& s, const Grpc& grpc, std::string_view version) {
    return {.name = eh::registry::service_name(s.registry.service_namespace),
            .version = std::string(version),
            .server_id = eh::registry::random_uuid(),
            .address = eh::registry::node_address(grpc.options().address, grpc.port())};
}

template <class Transport, class Store>
int serve(const Settings& settings, std::string_view version, const sigset_t& stop_signals, Transport transport) {
    using History = eh::EventHistory<Transport, Store>;
    using Grpc = eh::server::GrpcServer<History>;
    History history(std::move(transport), eh::config::make_store<Store>(settings), {}, ingest_options(settings));

    std::optional<Grpc> grpc;
    std::optional<eh::registry::NatsJsKvRegistrar> registrar;
    if (!settings.grpc.disabled) {
        grpc.emplace(history, grpc_options(settings, StoreTraits::of<Store>()));
        grpc->start();
        if (settings.registry.disabled) {
            spdlog::info("registry: disabled; clients must dial {} themselves", grpc->bound_address());
        } else if (settings.registry.type == eh::config::RegistryType::memory) {
            spdlog::warn("registry: MICRO_REGISTRY=memory lives inside one process: nothing is registered, ocis's "
                         "services cannot find this one");
        } else {
            registrar.emplace(registry_options(settings), registry_node(settings, *grpc, version));
        }
    }
    const Grpc* grpc_ptr = grpc ? &*grpc : nullptr;
    const eh::registry::NatsJsKvRegistrar* registrar_ptr = registrar ? &*registrar : nullptr;
    note_debug_settings(settings);
    eh::server::DebugHttpServer debug(
        settings.debug.addr,
        {.readiness = [&] { return readiness(history, registrar_ptr); },
         .metrics = [&] { return render_metrics(history, grpc_ptr, registrar_ptr, version); }},
        {.token = settings.debug.token});
    spdlog::info("eventhistoryd {}: store {}, events {}, gRPC {}, registry {}, debug on {}", version, Store::name,
                 events_description(history),
                 grpc ? "on " + grpc->bound_address() : std::string("disabled"),
                 registrar ? registrar->node().name + " at " + registrar->node().address : std::string("none"),
                 settings.debug.addr);

    std::jthread ingest([&](std::stop_token stop) {
        eh::detail::name_this_thread("eh-ingest");
        history.run(stop);
    });
    const int signal = wait_for_stop_signal(stop_signals);
    spdlog::info("received {}: finishing the batch in hand", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    if (registrar) registrar->deregister();
    ingest.request_stop();
    ingest.join();
    if constexpr (std::is_same_v<Transport, eh::transport::NatsJetStream>) history.transport().flush(std::chrono::seconds{5});
    if (grpc) grpc->shutdown();
    debug.stop();

    const auto& c = history.counters();
    spdlog::info("stopped: received {}, stored {}, duplicates {}, malformed {}, acked {}, naked {}, store errors {}",
                 c.received.load(), c.stored.load(), c.duplicates.load(), c.malformed.load(), c.acks.load(),
                 c.naks.load(), c.store_errors.load());
    return 0;
}

/// The store picked by name; the transport NATS JetStream, or idle with events disabled.
template <class Store>
int serve(const Settings& settings, std::string_view version, const sigset_t& stop_signals) {
    if (settings.events.disabled)
        return serve<eh::transport::Idle, Store>(settings, version, stop_signals, eh::transport::Idle{});
    return serve<eh::transport::NatsJetStream, Store>(settings, version, stop_signals,
                                                      eh::transport::NatsJetStream(nats_options(settings, StoreTraits::of<Store>())));
}

} // namespace eventhistoryd
