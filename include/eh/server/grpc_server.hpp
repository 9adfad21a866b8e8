#pragma once
// The gRPC adapter: serves ocis's EventHistoryService (interop.md section 2) from any
// EventHistory-like type, plus the standard health service and server reflection.
//
//   eh::server::GrpcServer server(history, {.address = "127.0.0.1:9274"});
//   server.start();      // throws std::runtime_error when it cannot listen
//   ...
//   server.shutdown();   // graceful, in-flight requests get a deadline
//
// History needs get_events(std::span<const std::string>) and get_events_for_user(std::string_view),
// both returning std::vector<eh::Event> and both callable from gRPC's threads at once; they may
// throw eh::StoreError (UNAVAILABLE), eh::InvalidQuery (INVALID_ARGUMENT) or eh::AnswerTooLarge
// (RESOURCE_EXHAUSTED). Requests run on gRPC's callback threads (no thread per request).
#include <algorithm>
#include <chrono>
#include <climits>
#include <concepts>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/server/detail/arena_messages.hpp"
#include "eh/server/grpc_credentials.hpp"
#include "eh/server/grpc_metrics.hpp"
#include "eh/server/grpc_options.hpp"
#include "ocis/services/eventhistory/v0/eventhistory.grpc.pb.h"

namespace eh::server {

namespace pb = ::ocis::services::eventhistory::v0;

/// What the adapter needs of the history it serves.
template <class H>
concept QueryableHistory = requires(H& h, std::span<const std::string> ids, std::string_view user) {
    { h.get_events(ids) } -> std::same_as<std::vector<Event>>;
    { h.get_events_for_user(user) } -> std::same_as<std::vector<Event>>;
};

namespace detail {

/// Moves the events into the response (they are ours: no copy of the payloads).
inline void fill(pb::GetEventsResponse& response, std::vector<Event>&& events) {
    response.mutable_events()->Reserve(static_cast<int>(events.size()));
    for (Event& e : events) {
        auto* out = response.add_events();
        out->set_type(std::move(e.type));
        out->set_id(std::move(e.id));
        out->set_event(std::move(e.payload));
    }
}

/// Runs a handler, turning what it throws into the status the client sees.
template <class F>
grpc::Status guarded(std::string_view method, F&& handler) noexcept {
    try {
        return handler();
    } catch (const InvalidQuery& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    } catch (const AnswerTooLarge& e) {
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
    } catch (const StoreError& e) {
        // The store's health shows in /readyz and the metrics; a log line per request would flood.
        spdlog::debug("gRPC {}: store error: {}", method, e.what());
        return {grpc::StatusCode::UNAVAILABLE, e.what()};
    } catch (const std::exception& e) {
        spdlog::error("gRPC {}: {}", method, e.what());
        return {grpc::StatusCode::INTERNAL, e.what()};
    } catch (...) {
        spdlog::error("gRPC {}: unknown exception", method);
        return {grpc::StatusCode::INTERNAL, "unknown error"};
    }
}

} // namespace detail

template <class History>
class GrpcServer {
    static_assert(QueryableHistory<History>, "eh: GrpcServer needs History::get_events(std::span<const std::string>) "
                                             "and get_events_for_user(std::string_view), both -> std::vector<eh::Event>");

public:
    explicit GrpcServer(History& history, GrpcOptions options = {})
        : options_(std::move(options)), service_(history, options_, metrics_) {}
    GrpcServer(const GrpcServer&) = delete;
    GrpcServer& operator=(const GrpcServer&) = delete;
    ~GrpcServer() { shutdown(); }

    /// Listens and serves. Throws std::runtime_error when the address cannot be bound or a
    /// TLS file cannot be read. Does nothing when already serving.
    void start() {
        if (server_) return;
        grpc::EnableDefaultHealthCheckService(true);
        grpc::reflection::InitProtoReflectionServerBuilderPlugin();
        grpc::ServerBuilder builder;
        builder.AddListeningPort(options_.address, server_credentials(options_.tls), &port_);
        // gRPC shares ports by default (SO_REUSEPORT): a second instance on the same address
        // would start "fine" and get half the calls. A taken port must fail start() instead.
        builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
        builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<std::size_t>(options_.max_receive_bytes, INT_MAX)));
        builder.RegisterService(&service_);
        server_ = builder.BuildAndStart();
        if (!server_ || port_ == 0) {
            server_.reset();
            throw std::runtime_error("gRPC: cannot listen on '" + options_.address + "'");
        }
        if (auto* health = server_->GetHealthCheckService()) {
            health->SetServingStatus(true);
            health->SetServingStatus(std::string(GrpcMetrics::service), true);
        }
        std::string shown = options_.address;
        if (shown.ends_with(":0")) shown.replace(shown.size() - 1, 1, std::to_string(port_));
        spdlog::info("gRPC: serving {} on {} ({})", GrpcMetrics::service, shown,
                     options_.tls.cert_file.empty() ? "plaintext"
                     : options_.tls.client_ca_file.empty() ? "TLS"
                                                           : "mutual TLS");
    }

    /// Health turns NOT_SERVING, new requests are refused, and in-flight ones may finish
    /// within grace before they are cancelled. Blocks until done; does nothing when stopped.
    void shutdown(std::chrono::milliseconds grace = std::chrono::seconds{5}) {
        if (!server_) return;
        if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
        server_->Shutdown(std::chrono::system_clock::now() + grace);
        server_->Wait();
        server_.reset();
        spdlog::info("gRPC: stopped");
    }

    /// The port bound by start(): the one asked for, or the picked one for port 0.
    int port() const noexcept { return port_; }
    const GrpcOptions& options() const noexcept { return options_; }
    /// Requests by method and status code, for the /metrics renderer.
    const GrpcMetrics& metrics() const noexcept { return metrics_; }

private:
    class Service final : public pb::EventHistoryService::CallbackService {
    public:
        Service(History& history, const GrpcOptions& options, GrpcMetrics& metrics)
            : history_(history), options_(options), metrics_(metrics) {
            SetMessageAllocatorFor_GetEvents(&get_events_messages_);
            SetMessageAllocatorFor_GetEventsForUser(&get_events_for_user_messages_);
        }

        grpc::ServerUnaryReactor* GetEvents(grpc::CallbackServerContext* context, const pb::GetEventsRequest* request,
                                            pb::GetEventsResponse* response) override {
            return finish(context, GrpcMethod::get_events, [&] { return get_events(*request, *response); });
        }

        grpc::ServerUnaryReactor* GetEventsForUser(grpc::CallbackServerContext* context,
                                                   const pb::GetEventsForUserRequest* request,
                                                   pb::GetEventsResponse* response) override {
            return finish(context, GrpcMethod::get_events_for_user,
                          [&] { return get_events_for_user(*request, *response); });
        }

    private:
        grpc::Status get_events(const pb::GetEventsRequest& request, pb::GetEventsResponse& response) {
            const auto n = static_cast<std::size_t>(request.ids_size());
            if (n > options_.max_ids)
                return {grpc::StatusCode::INVALID_ARGUMENT, "GetEvents accepts at most " +
                                                                std::to_string(options_.max_ids) +
                                                                " ids per request, got " + std::to_string(n)};
            if (n == 0) return grpc::Status::OK;
            const std::vector<std::string> ids(request.ids().begin(), request.ids().end());
            detail::fill(response, history_.get_events(ids));
            return grpc::Status::OK;
        }

        grpc::Status get_events_for_user(const pb::GetEventsForUserRequest& request, pb::GetEventsResponse& response) {
            if (request.userid().empty())
                return {grpc::StatusCode::INVALID_ARGUMENT, "GetEventsForUser needs a non-empty userID"};
            detail::fill(response, history_.get_events_for_user(request.userid()));
            return grpc::Status::OK;
        }

        template <class F>
        grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* context, GrpcMethod method, F&& handler) {
            const grpc::Status status =
                detail::guarded(GrpcMetrics::method_names[static_cast<std::size_t>(method)], handler);
            metrics_.count(method, status.error_code());
            auto* reactor = context->DefaultReactor();
            reactor->Finish(status);
            return reactor;
        }

        History& history_;
        const GrpcOptions& options_;
        GrpcMetrics& metrics_;
        detail::ArenaMessages<pb::GetEventsRequest, pb::GetEventsResponse> get_events_messages_;
        detail::ArenaMessages<pb::GetEventsForUserRequest, pb::GetEventsResponse> get_events_for_user_messages_;
    };

    GrpcOptions options_;
    GrpcMetrics metrics_;
    Service service_;
    int port_ = 0;
    std::unique_ptr<grpc::Server> server_;
};

} // namespace eh::server
