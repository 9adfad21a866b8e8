#pragma once
// `eventhistoryd server`: one EventHistory<NatsJetStream, Store> with its gRPC API and debug
// server, until SIGTERM or SIGINT. Then: stop fetching, finish and settle the batch in hand,
// flush the acks, stop serving, exit 0.
#include <csignal>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "eh/config/settings.hpp"
#include "eh/config/store_settings.hpp"
#include "eh/detail/thread_name.hpp"
#include "eh/event_history.hpp"
#include "eh/server/debug_http.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/transport/nats_jetstream.hpp"
#include "metrics.hpp"
#include "options.hpp"

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

/// Why the service is not ready, for /readyz: what failed, never where (hosts, master and
/// bucket names stay in the log, which has the details).
template <class History>
std::string readiness(const History& history) {
    if (!history.transport().ready()) return "NATS not ready: no connection or consumer yet (details in the log)";
    if (!history.ready()) {
        const std::string why = history.last_store_error();
        return "store not ready: " + (why.empty() ? std::string("not reached yet") : why) + " (details in the log)";
    }
    return {};
}

/// ocis's debug settings without a meaning here, said once at start-up.
inline void note_debug_settings(const eh::config::Settings& s) {
    if (s.debug.pprof)
        spdlog::info("debug.pprof is set: Go's pprof does not exist in this C++ service; nothing is served for it");
    if (s.debug.zpages)
        spdlog::info("debug.zpages is set: zpages are not available in this service; nothing is served for them");
}

template <class Store>
int serve(const eh::config::Settings& settings, std::string_view version, const sigset_t& stop_signals) {
    using History = eh::EventHistory<eh::transport::NatsJetStream, Store>;
    History history(eh::transport::NatsJetStream(nats_options(settings, Store::name)),
                    Store::make(eh::config::to_store_settings(settings)), {}, ingest_options(settings));

    eh::server::GrpcServer<History> grpc(history, grpc_options(settings));
    grpc.start();
    note_debug_settings(settings);
    eh::server::DebugHttpServer debug(settings.debug.addr,
                                      {.readiness = [&] { return readiness(history); },
                                       .metrics = [&] { return render_metrics(history, grpc, version); }},
                                      {.token = settings.debug.token});
    spdlog::info("eventhistoryd {}: store {}, consumer {} ({}), gRPC on {}, debug on {}", version, Store::name,
                 history.transport().consumer(), eh::transport::to_string(history.transport().options().mode),
                 settings.grpc.addr, settings.debug.addr);

    std::jthread ingest([&](std::stop_token stop) {
        eh::detail::name_this_thread("eh-ingest");
        history.run(stop);
    });
    const int signal = wait_for_stop_signal(stop_signals);
    spdlog::info("received {}: finishing the batch in hand", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    ingest.request_stop();
    ingest.join();
    history.transport().flush(std::chrono::seconds{5});
    grpc.shutdown();
    debug.stop();

    const auto& c = history.counters();
    spdlog::info("stopped: received {}, stored {}, duplicates {}, malformed {}, acked {}, naked {}, store errors {}",
                 c.received.load(), c.stored.load(), c.duplicates.load(), c.malformed.load(), c.acks.load(),
                 c.naks.load(), c.store_errors.load());
    return 0;
}

} // namespace eventhistoryd
