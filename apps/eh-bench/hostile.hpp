#pragma once
// `eh-bench hostile`: does ingest keep its rate while unfriendly clients query? The daemon
// ingests the same backlog twice (fresh consumer each time, on loopback): once alone, the
// BASELINE, and once while client threads keep sending GetEventsForUser with ids that used to
// cost O(store) (":", "opaque_id", "idp opaque_id", a long multi-word id) and GetEvents with
// ids that cannot be keys, each with a short deadline, at a given rate per client (or as fast
// as they are answered: then the figure is mostly what gRPC itself costs on a 2-core machine
// where clients, daemon and nats-server share the cores). The figure is the rate with them
// against the rate without (target >= 0.9, reported, not asserted); every event must be
// stored either way (daemon_ingest checks), and no hostile call may end in INTERNAL or
// UNKNOWN.
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "eh/testing/server_process.hpp"
#include "ingest.hpp"
#include "ocis/services/eventhistory/v0/eventhistory.grpc.pb.h"
#include "report.hpp"

namespace eh_bench {

/// Client threads sending hostile queries to address until stopped, each `rate` calls per
/// second (0: the next as soon as one is answered); counts answers by status.
class HostileClients {
public:
    HostileClients(const std::string& address, std::size_t threads, double rate) {
        for (std::size_t t = 0; t < threads; ++t)
            threads_.emplace_back([this, address, t, rate](std::stop_token stop) { run(address, t, rate, stop); });
    }
    ~HostileClients() { stop(); }
    void stop() { threads_.clear(); }

    std::uint64_t calls() const { return calls_; }
    std::uint64_t failures() const { return bad_; } ///< INTERNAL or UNKNOWN: never expected
    std::uint64_t refused() const { return refused_; } ///< INVALID_ARGUMENT or RESOURCE_EXHAUSTED

private:
    void run(const std::string& address, std::size_t t, double rate, std::stop_token stop) {
        namespace pb = ::ocis::services::eventhistory::v0;
        auto stub = pb::EventHistoryService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
        std::string many_words = "opaque_id";
        for (int i = 0; i < 5000; ++i) many_words += " a";
        const std::array<std::string, 5> users{":", "opaque_id", "idp opaque_id", many_words, "https"};
        const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(rate > 0 ? 1 / rate : 0));
        auto next = Clock::now();
        for (std::size_t i = t; !stop.stop_requested(); ++i) {
            std::this_thread::sleep_until(next += period);
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds{2});
            pb::GetEventsResponse response;
            grpc::Status status;
            if (i % 6 == 5) {
                pb::GetEventsRequest request;
                request.add_ids(std::string(3000, 'A'));
                request.add_ids("");
                status = stub->GetEvents(&context, request, &response);
            } else {
                pb::GetEventsForUserRequest request;
                request.set_userid(users[i % users.size()]);
                status = stub->GetEventsForUser(&context, request, &response);
            }
            if (status.error_code() == grpc::StatusCode::UNAVAILABLE) { // stopping
                std::this_thread::sleep_for(std::chrono::milliseconds{5});
                continue;
            }
            ++calls_;
            bad_ += status.error_code() == grpc::StatusCode::INTERNAL || status.error_code() == grpc::StatusCode::UNKNOWN;
            refused_ += status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
        }
    }

    std::atomic<std::uint64_t> calls_{0}, bad_{0}, refused_{0};
    std::vector<std::jthread> threads_;
};

struct HostileSetup {
    IngestSetup ingest;
    std::size_t threads = 2; ///< hostile client threads
    double rate = 100;       ///< calls per second of each (0: as fast as they are answered)
};

inline void bench_hostile(const HostileSetup& setup, const Workload& w, Report& report) {
    const IngestSetup& in = setup.ingest;
    const auto store = store_bench(in.store_type, in.endpoint, w); // shared stores: a database per run
    double alone = 0, beside = 0, calls_per_s = 0;
    std::uint64_t failures = 0, refused = 0;
    static int runs = 0;
    // One ingest of the whole backlog into an empty store; once_up starts the hostile clients.
    auto ingest = [&](const std::string& run, const std::function<void(const std::string&)>& once_up) {
        const std::string consumer = "eh-bench-" + run;
        std::vector<std::string> flags{"--consumer-name", consumer};
        if (store) {
            const auto more = store->daemon_flags(run);
            flags.insert(flags.end(), more.begin(), more.end());
        }
        const double rate = daemon_ingest(in.daemon, in.endpoint, w.count, in.batch, in.store_type, flags, once_up).rate;
        delete_consumer(in.endpoint, consumer);
        if (store) {
            const std::size_t held = store->records(run);
            store->drop(run);
            if (held != w.count)
                throw std::runtime_error(in.store_type + ": the daemon left " + std::to_string(held) + " of " +
                                         std::to_string(w.count) + " records");
        }
        return rate;
    };
    for (int i = 0; i < in.repeat; ++i) {
        const std::string run = std::to_string(getpid()) + "-hostile-" + std::to_string(runs++);
        alone = std::max(alone, ingest(run + "-alone", {}));
        // The clients start once the daemon listens (connecting earlier, gRPC's reconnect backoff
        // could keep them out of a short ingest).
        std::optional<HostileClients> clients;
        Clock::time_point t0{};
        const double rate = ingest(run + "-beside", [&](const std::string& grpc_addr) {
            t0 = Clock::now();
            clients.emplace(grpc_addr, setup.threads, setup.rate);
        });
        if (!clients) throw std::runtime_error("hostile queries: the daemon never answered");
        const double calls = static_cast<double>(clients->calls()), seconds = ms_since(t0) / 1000;
        clients->stop();
        std::printf("run %d: alone %.0f ev/s, beside hostile queries %.0f ev/s (%.0f hostile calls answered in %.2f s)\n",
                    i + 1, alone, rate, calls, seconds);
        // A run the clients did not get into (the daemon ingested before they connected) says nothing.
        if (calls > 0 && rate > beside) {
            beside = rate;
            calls_per_s = calls / seconds;
        }
        failures += clients->failures();
        refused += clients->refused();
    }
    if (failures > 0)
        throw std::runtime_error("hostile queries: " + std::to_string(failures) + " answered INTERNAL or UNKNOWN");
    if (beside == 0)
        throw std::runtime_error("hostile queries: no call got through during any ingest (use a larger --count)");
    const std::string what = "ingest " + setup.ingest.store_type + " store under hostile queries (" +
                             std::to_string(setup.threads) + " clients, " +
                             (setup.rate > 0 ? std::to_string(static_cast<int>(setup.rate)) + "/s each)" : "unpaced)");
    report.add({.figure = what, .value = beside, .unit = "ev/s", .reference = alone,
                .reference_name = "the same ingest without them", .target = Target{0.9, true}});
    report.add({.figure = "hostile calls answered (refused or bounded) meanwhile", .value = calls_per_s,
                .unit = "calls/s"});
    std::printf("hostile queries: %llu refused with INVALID_ARGUMENT or RESOURCE_EXHAUSTED; all %d x %zu events stored\n",
                static_cast<unsigned long long>(refused), in.repeat, w.count);
}

} // namespace eh_bench
