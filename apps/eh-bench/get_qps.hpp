#pragma once
// `eh-bench get`: GetEvents calls per second and latency with 1 and 100 ids per request and
// K calls in flight, against the server under test and, in the same run, a FLOOR server: the
// same proto and gRPC setup answering with a canned response of the same size, no lookup.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "eh/event_history.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "latency.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

namespace pb = ::ocis::services::eventhistory::v0;

/// Answers GetEvents with the first n events of a canned response, n = the number of ids.
class FloorServer {
public:
    explicit FloorServer(const std::vector<eh::testing::GeneratedEvent>& events, std::size_t max_ids) {
        for (std::size_t n : {std::size_t{1}, max_ids}) {
            pb::GetEventsResponse& r = service_.canned[n];
            for (std::size_t i = 0; i < n && i < events.size(); ++i) {
                auto* e = r.add_events();
                e->set_id(events[i].event.id);
                e->set_type(events[i].event.type);
                e->set_event(events[i].event.payload);
            }
        }
        grpc::ServerBuilder builder;
        builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
        builder.RegisterService(&service_);
        server_ = builder.BuildAndStart();
        if (!server_ || port_ == 0) throw std::runtime_error("floor server: cannot listen");
    }
    ~FloorServer() { server_->Shutdown(); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
    struct Service final : pb::EventHistoryService::CallbackService {
        std::map<std::size_t, pb::GetEventsResponse> canned;
        grpc::ServerUnaryReactor* GetEvents(grpc::CallbackServerContext* context, const pb::GetEventsRequest* request,
                                            pb::GetEventsResponse* response) override {
            if (auto it = canned.find(static_cast<std::size_t>(request->ids_size())); it != canned.end())
                *response = it->second;
            auto* reactor = context->DefaultReactor();
            reactor->Finish(grpc::Status::OK);
            return reactor;
        }
    };
    Service service_;
    int port_ = 0;
    std::unique_ptr<grpc::Server> server_;
};

struct LoadResult {
    double qps = 0, p50_ms = 0, p99_ms = 0;
};

/// Keeps in_flight GetEvents calls of ids_per_call ids going for a warm-up and then `seconds`;
/// throws if a call fails or misses an event.
inline LoadResult run_load(const std::string& address, const std::vector<std::string>& ids, std::size_t ids_per_call,
                           std::size_t in_flight, double seconds) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    auto stub = pb::EventHistoryService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    // gRPC drops its copy of a call (and so the ClientContext) after the callback returned,
    // on its own thread: run_load waits for that before the stub and channel go, or a late
    // ClientContext destructor frees into a dead completion queue (it crashed ~1 run in 10).
    std::atomic<std::size_t> calls_alive{0};
    struct Alive {
        std::atomic<std::size_t>& count;
        explicit Alive(std::atomic<std::size_t>& c) : count(c) { ++count; }
        ~Alive() { --count; }
    };
    struct Call {
        explicit Call(std::atomic<std::size_t>& count) : alive(count) {}
        Alive alive; // first: destroyed last, after the context
        grpc::ClientContext context;
        pb::GetEventsRequest request;
        pb::GetEventsResponse response;
        Clock::time_point started;
    };
    std::mutex mutex;
    std::condition_variable drained;
    std::vector<double> latencies;
    std::size_t live = in_flight, next = 0, failures = 0;
    bool measuring = false, stopping = false;
    std::string failure;
    std::function<void()> issue = [&] {
        auto call = std::make_shared<Call>(calls_alive);
        {
            std::lock_guard lock(mutex);
            for (std::size_t i = 0; i < ids_per_call; ++i) call->request.add_ids(ids[next++ % ids.size()]);
        }
        call->started = Clock::now();
        stub->async()->GetEvents(&call->context, &call->request, &call->response, [&, call](grpc::Status status) {
            const double ms = ms_since(call->started);
            std::unique_lock lock(mutex);
            if (!status.ok() || static_cast<std::size_t>(call->response.events_size()) != ids_per_call) {
                ++failures;
                failure = status.ok() ? std::to_string(call->response.events_size()) + " events for " +
                                            std::to_string(ids_per_call) + " ids"
                                      : status.error_message();
            }
            if (measuring) latencies.push_back(ms);
            if (stopping) {
                if (--live == 0) drained.notify_all();
                return;
            }
            lock.unlock();
            issue();
        });
    };
    for (std::size_t i = 0; i < in_flight; ++i) issue();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.3, seconds / 3))); // warm-up
    Clock::time_point t0;
    {
        std::lock_guard lock(mutex);
        measuring = true;
        t0 = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); // the measured window
    LoadResult r;
    std::unique_lock lock(mutex);
    measuring = false;
    stopping = true;
    r.qps = static_cast<double>(latencies.size()) / (ms_since(t0) / 1000);
    drained.wait(lock, [&] { return live == 0; });
    lock.unlock();
    while (calls_alive.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    lock.lock();
    if (failures > 0) throw std::runtime_error(std::to_string(failures) + " GetEvents calls to " + address +
                                               " failed, e.g.: " + failure);
    r.p50_ms = percentile(latencies, 0.5);
    r.p99_ms = percentile(latencies, 0.99);
    return r;
}

/// The server under test: a running daemon (target) or, when target is empty, an in-process
/// GrpcServer over a memory-store EventHistory fed the workload through the ingest path.
class GetTarget {
public:
    GetTarget(const std::string& target, const std::vector<eh::testing::GeneratedEvent>& events) {
        if (!target.empty()) {
            address_ = target;
            return;
        }
        history_ = std::make_unique<History>(eh::testing::ScriptedTransport{}, eh::store::MemoryStore{});
        for (const auto& g : events) history_->transport().publish(g.envelope);
        while (history_->transport().pending() > 0) history_->ingest_once();
        if (history_->store().size() != events.size())
            throw std::runtime_error("in-process history stored " + std::to_string(history_->store().size()) +
                                     " of " + std::to_string(events.size()) + " events");
        // As the daemon serves a memory store: on gRPC's threads.
        server_ = std::make_unique<eh::server::GrpcServer<History>>(
            *history_, eh::server::GrpcOptions{.address = "127.0.0.1:0", .workers = 0});
        server_->start();
        address_ = "127.0.0.1:" + std::to_string(server_->port());
    }
    const std::string& address() const noexcept { return address_; }
    std::string name() const { return server_ ? "memory store (in-process)" : "daemon " + address_; }

private:
    using History = eh::EventHistory<eh::testing::ScriptedTransport, eh::store::MemoryStore>;
    std::string address_;
    std::unique_ptr<History> history_;
    std::unique_ptr<eh::server::GrpcServer<History>> server_;
};

inline void bench_get_events(const Workload& w, const std::string& target, double seconds, Report& report) {
    constexpr std::size_t many = 100;
    const auto events = w.events();
    if (events.size() < many) throw std::runtime_error("get needs --count >= 100");
    std::vector<std::string> ids;
    ids.reserve(events.size());
    for (const auto& g : events) ids.push_back(g.event.id);
    GetTarget server(target, events);
    FloorServer floor(events, many);
    std::printf("  GetEvents against %s, floor at %s\n", server.name().c_str(), floor.address().c_str());
    for (std::size_t per_call : {std::size_t{1}, many}) {
        for (std::size_t k : {1, 16, 64}) {
            const LoadResult floor_result = run_load(floor.address(), ids, per_call, k, seconds);
            const LoadResult result = run_load(server.address(), ids, per_call, k, seconds);
            const std::string what =
                "GetEvents " + std::to_string(per_call) + (per_call == 1 ? " id" : " ids") + ", K=" + std::to_string(k);
            std::optional<Target> target_ratio;
            if (k == 16) target_ratio = Target{per_call == 1 ? 0.9 : 0.8, true};
            report.add({.figure = what + " calls/s", .value = result.qps, .unit = "1/s", .reference = floor_result.qps,
                        .reference_name = "floor server", .target = target_ratio});
            report.add({.figure = what + " p50", .value = result.p50_ms, .unit = "ms",
                        .reference = floor_result.p50_ms, .reference_name = "floor server"});
            report.add({.figure = what + " p99", .value = result.p99_ms, .unit = "ms",
                        .reference = floor_result.p99_ms, .reference_name = "floor server"});
        }
    }
}

} // namespace eh_bench
