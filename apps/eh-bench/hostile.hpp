#pragma once
// `eh-bench hostile`: does ingest keep its rate while unfriendly clients query? The daemon
// ingests the same backlog twice (fresh consumer each time, on loopback): once alone, the
// BASELINE, and once while client threads keep sending GetEventsForUser with ids that used to
// cost O(store) (":", "opaque_id", "idp opaque_id", a long multi-word id) and GetEvents with
// ids that cannot be keys, each with a short deadline. The figure is the rate with them
// against the rate without (target >= 0.9, reported, not asserted); every event must be
// stored either way (daemon_ingest checks), and no hostile call may end in INTERNAL or
// UNKNOWN.
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "fixtures/server_process.hpp"
#include "ingest.hpp"
#include "ocis/services/eventhistory/v0/eventhistory.grpc.pb.h"
#include "report.hpp"

namespace eh_bench {

/// Client threads sending hostile queries to address until stopped; counts answers by status.
class HostileClients {
public:
    HostileClients(const std::string& address, std::size_t threads) {
        for (std::size_t t = 0; t < threads; ++t)
            threads_.emplace_back([this, address, t](std::stop_token stop) { run(address, t, stop); });
    }
    ~HostileClients() { stop(); }
    void stop() { threads_.clear(); }

    std::uint64_t calls() const { return calls_; }
    std::uint64_t failures() const { return bad_; } ///< INTERNAL or UNKNOWN: never expected
    std::uint64_t refused() const { return refused_; } ///< INVALID_ARGUMENT or RESOURCE_EXHAUSTED

private:
    void run(const std::string& address, std::size_t t, std::stop_token stop) {
        namespace pb = ::ocis::services::eventhistory::v0;
        // Reconnect within milliseconds of the daemon's start (gRPC's default backoff is 1 s),
        // so that the queries run during the whole ingest.
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 10);
        args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10);
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 50);
        auto stub = pb::EventHistoryService::NewStub(
            grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
        std::string many_words = "opaque_id";
        for (int i = 0; i < 5000; ++i) many_words += " a";
        const std::array<std::string, 5> users{":", "opaque_id", "idp opaque_id", many_words, "https"};
        for (std::size_t i = t; !stop.stop_requested(); ++i) {
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
            if (status.error_code() == grpc::StatusCode::UNAVAILABLE) { // not up yet
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
};

inline void bench_hostile(const HostileSetup& setup, const Workload& w, Report& report) {
    const IngestSetup& in = setup.ingest;
    const auto store = store_bench(in.store_type, in.endpoint, w); // shared stores: a database per run
    double alone = 0, beside = 0, calls_per_s = 0;
    std::uint64_t failures = 0, refused = 0;
    static int runs = 0;
    // One ingest of the whole backlog into an empty store (hostile clients on grpc_addr, if any).
    auto ingest = [&](const std::string& run, const std::string& grpc_addr) {
        const std::string consumer = "eh-bench-" + run;
        std::vector<std::string> flags{"--consumer-name", consumer};
        if (store) {
            const auto more = store->daemon_flags(run);
            flags.insert(flags.end(), more.begin(), more.end());
        }
        const double rate = daemon_ingest(in.daemon, in.endpoint, w.count, in.batch, in.store_type, flags, grpc_addr).rate;
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
        const std::string grpc_addr = "127.0.0.1:" + std::to_string(eh_test::free_port());
        HostileClients clients(grpc_addr, setup.threads);
        const auto t0 = Clock::now();
        const double rate = ingest(run + "-beside", grpc_addr);
        clients.stop();
        if (rate > beside) {
            beside = rate;
            calls_per_s = static_cast<double>(clients.calls()) / (ms_since(t0) / 1000);
        }
        failures += clients.failures();
        refused += clients.refused();
    }
    if (failures > 0)
        throw std::runtime_error("hostile queries: " + std::to_string(failures) + " answered INTERNAL or UNKNOWN");
    const std::string what = "ingest " + setup.ingest.store_type + " store under hostile queries (" +
                             std::to_string(setup.threads) + " clients)";
    report.add({.figure = what, .value = beside, .unit = "ev/s", .reference = alone,
                .reference_name = "the same ingest without them", .target = Target{0.9, true}});
    report.add({.figure = "hostile queries answered (refused or bounded) during it", .value = calls_per_s,
                .unit = "calls/s"});
    std::printf("hostile queries: %llu refused with INVALID_ARGUMENT or RESOURCE_EXHAUSTED; all %d x %zu events stored%s\n",
                static_cast<unsigned long long>(refused), in.repeat, w.count,
                calls_per_s == 0 ? " (no hostile call got through: the ingest was too short, use a larger --count)" : "");
}

} // namespace eh_bench
