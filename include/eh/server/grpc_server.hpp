#pragma once
// The gRPC adapter: serves ocis's EventHistoryService (GetEvents, GetEventsForUser; same
// proto names and numbers, docs/ocis-contract.md section 2) from any EventHistory-like type,
// plus the standard health service and server reflection.
//
//   eh::server::GrpcServer server(history, {.address = "127.0.0.1:9274"});
//   server.start();      // throws std::runtime_error when it cannot listen
//   ...
//   server.shutdown();   // graceful, in-flight requests get a deadline
//
// History needs get_events(std::span<const std::string>) and get_events_for_user(std::string_view),
// both returning std::vector<eh::Event> and both callable from several threads at once; they
// may throw (status_of_current_exception() says what the client sees: eh::InvalidQuery is
// INVALID_ARGUMENT, eh::AnswerTooLarge RESOURCE_EXHAUSTED, eh::StoreError UNAVAILABLE).
//
// Both spellings of a method's path reach one handler (method_path.hpp): the proto package
// path through the registered service, go-micro's /<service name>.EventHistoryService/<Method>
// (how ocis's own services call) through a generic service that gRPC hands every path no
// service claims. Requests are read as bytes and parsed here, so a request that is not the
// method's message gets INVALID_ARGUMENT. The store work runs on worker threads of the adapter
// (detail/call_workers.hpp), never on gRPC's: at most max_in_flight calls at once (beyond,
// RESOURCE_EXHAUSTED at once); a call whose client has gone or whose deadline has passed by
// the time a worker takes it is not run (gRPC tells, OnCancel, and the deadline is checked).
// Health and reflection stay on gRPC's threads and answer while the store is slow or down.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <concepts>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/arena.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "eh/config/address.hpp"
#include "eh/detail/throttle.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/log.hpp"
#include "eh/server/detail/call_workers.hpp"
#include "eh/server/grpc_credentials.hpp"
#include "eh/server/grpc_metrics.hpp"
#include "eh/server/grpc_options.hpp"
#include "eh/server/method_path.hpp"
#include "ocis/services/eventhistory/v0/eventhistory.grpc.pb.h"

namespace eh::server {

namespace pb = ::ocis::services::eventhistory::v0;

/// What the adapter needs of the history it serves.
template <class H>
concept QueryableHistory = requires(H& h, std::span<const std::string> ids, std::string_view user) {
    { h.get_events(ids) } -> std::same_as<std::vector<Event>>;
    { h.get_events_for_user(user) } -> std::same_as<std::vector<Event>>;
};

/// The status a client sees for what a handler threw; call it inside a catch block. The one
/// place where exceptions become statuses. Store errors name hosts, master names and buckets:
/// the client learns only that the store is unavailable, the log has the details.
inline grpc::Status status_of_current_exception(std::string_view method) noexcept {
    static eh::detail::Throttle store_log{std::chrono::seconds{5}};
    try {
        throw;
    } catch (const InvalidQuery& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    } catch (const AnswerTooLarge& e) {
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
    } catch (const StoreError& e) {
        if (store_log.due()) eh::logger()->warn("gRPC {}: store error: {}", method, e.what());
        return {grpc::StatusCode::UNAVAILABLE, "the store is unavailable; try again later"};
    } catch (const std::bad_alloc&) {
        eh::logger()->error("gRPC {}: out of memory", method);
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, "out of memory"};
    } catch (const std::exception& e) {
        eh::logger()->error("gRPC {}: {}", method, e.what());
        return {grpc::StatusCode::INTERNAL, "internal error"};
    } catch (...) {
        eh::logger()->error("gRPC {}: unknown exception", method);
        return {grpc::StatusCode::INTERNAL, "internal error"};
    }
}

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

/// The request bytes as message (false when they are not one: invalid wire format, a string
/// field that is not UTF-8, ...).
template <class Message>
bool parse(const grpc::ByteBuffer& bytes, Message& message) {
    grpc::ByteBuffer shared(bytes); // a reference, not a copy of the bytes
    grpc::ProtoBufferReader reader(&shared);
    return reader.status().ok() && message.ParseFromZeroCopyStream(&reader);
}

} // namespace detail

template <class History>
class GrpcServer {
    static_assert(QueryableHistory<History>, "eh: GrpcServer needs History::get_events(std::span<const std::string>) "
                                             "and get_events_for_user(std::string_view), both -> std::vector<eh::Event>");

public:
    explicit GrpcServer(History& history, GrpcOptions options = {})
        : options_(std::move(options)), methods_(history, options_, metrics_), service_(methods_),
          go_micro_(methods_) {}
    GrpcServer(const GrpcServer&) = delete;
    GrpcServer& operator=(const GrpcServer&) = delete;
    ~GrpcServer() { shutdown(); }

    /// Listens and serves. Throws std::runtime_error when the address cannot be bound or a
    /// TLS file cannot be read. Does nothing when already serving.
    void start() {
        if (server_) return;
        const auto hp = config::parse_host_port(options_.address);
        const std::string host = hp ? hp->host : std::string();
        methods_.start_workers();
        grpc::EnableDefaultHealthCheckService(true);
        grpc::reflection::InitProtoReflectionServerBuilderPlugin();
        grpc::ServerBuilder builder;
        builder.AddListeningPort(options_.address, server_credentials(options_.tls, host), &port_);
        // gRPC shares ports by default (SO_REUSEPORT): a second instance on the same address
        // would start "fine" and get half the calls. A taken port must fail start() instead.
        builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
        builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<std::size_t>(options_.max_receive_bytes, INT_MAX)));
        builder.RegisterService(&service_);
        builder.RegisterCallbackGenericService(&go_micro_);
        server_ = builder.BuildAndStart();
        if (!server_ || port_ == 0) {
            server_.reset();
            throw std::runtime_error("gRPC: cannot listen on '" + options_.address + "'");
        }
        if (auto* health = server_->GetHealthCheckService()) {
            health->SetServingStatus(true);
            health->SetServingStatus(std::string(GrpcMetrics::service), true);
        }
        eh::logger()->info("gRPC: serving {} (also as /<name>.EventHistoryService/...) on {} ({})", GrpcMetrics::service,
                     bound_address(),
                     !options_.tls.on()                     ? "plaintext"
                     : !options_.tls.client_ca_file.empty() ? "mutual TLS"
                     : options_.tls.cert_file.empty()
                         ? "TLS with a temporary self-signed certificate: clients must skip verification"
                         : "TLS");
    }

    /// Health turns NOT_SERVING, new requests are refused, and in-flight ones may finish
    /// within grace before they are cancelled. Blocks until done; does nothing when stopped.
    void shutdown(std::chrono::milliseconds grace = std::chrono::seconds{5}) {
        if (!server_) return;
        if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
        server_->Shutdown(std::chrono::system_clock::now() + grace);
        server_->Wait(); // every admitted call has been answered by the workers
        server_.reset();
        methods_.stop_workers();
        eh::logger()->info("gRPC: stopped");
    }

    /// The port bound by start(): the one asked for, or the picked one for port 0.
    int port() const noexcept { return port_; }
    /// The listen address with the bound port ("127.0.0.1:0" -> "127.0.0.1:41234").
    std::string bound_address() const {
        std::string shown = options_.address;
        if (const auto colon = shown.rfind(':'); colon != std::string::npos)
            shown.replace(colon + 1, std::string::npos, std::to_string(port_));
        return shown;
    }
    const GrpcOptions& options() const noexcept { return options_; }
    /// Calls admitted and not yet answered (queued or running).
    std::size_t in_flight() const { return methods_.in_flight(); }
    /// Calls whose client cancelled or whose deadline passed before they were answered.
    std::uint64_t abandoned() const noexcept { return methods_.abandoned(); }
    /// Requests by method and status code, for the /metrics renderer.
    const GrpcMetrics& metrics() const noexcept { return metrics_; }

private:
    class Methods;

    /// One call of either path: its request bytes, its answer, how the answer goes out.
    class Call : public detail::CallJob {
    public:
        Call(Methods& methods, GrpcMethod method, grpc::CallbackServerContext& context)
            : methods_(methods), method_(method), context_(context) {}
        /// Queues the call on the workers, or answers it at once when too many are in flight.
        void dispatch() { methods_.dispatch(*this); }
        void run() noexcept override {
            status_ = methods_.run(method_, context_, abandoned_.load(), request(), response());
        }
        void answer() noexcept override { send(status_); }
        /// The client cancelled or its deadline passed (gRPC's OnCancel): no point in running it.
        void abandon() noexcept {
            if (!abandoned_.exchange(true)) methods_.count_abandoned();
        }
        /// Sends the answer (response() when status is OK); the call object may go with it.
        virtual void send(const grpc::Status& status) noexcept = 0;
        virtual const grpc::ByteBuffer& request() const noexcept = 0;
        virtual grpc::ByteBuffer& response() noexcept = 0;
        GrpcMethod method() const noexcept { return method_; }

    protected:
        ~Call() = default;

    private:
        Methods& methods_;
        GrpcMethod method_;
        grpc::CallbackServerContext& context_;
        grpc::Status status_;
        std::atomic<bool> abandoned_{false};
    };

    /// The methods, whichever path a call came by: admission, parsing, limits, errors, metrics.
    class Methods {
    public:
        Methods(History& history, const GrpcOptions& options, GrpcMetrics& metrics)
            : history_(history), options_(options), metrics_(metrics) {}

        void start_workers() {
            if (!workers_) workers_ = std::make_unique<detail::CallWorkers>(options_.workers, options_.max_in_flight);
        }
        void stop_workers() { workers_.reset(); }
        std::size_t in_flight() const { return workers_ ? workers_->in_flight() : 0; }
        void count_abandoned() noexcept { abandoned_.fetch_add(1, std::memory_order_relaxed); }
        std::uint64_t abandoned() const noexcept { return abandoned_.load(std::memory_order_relaxed); }

        /// Queues the call, or answers it RESOURCE_EXHAUSTED when max_in_flight are in flight.
        void dispatch(Call& call) {
            if (workers_->admit(call)) return;
            metrics_.count(call.method(), grpc::StatusCode::RESOURCE_EXHAUSTED);
            call.send({grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "too many requests in flight (limit " + std::to_string(workers_->limit()) + "); try again"});
        }

        /// On a worker: the call's status, its response filled when OK.
        grpc::Status run(GrpcMethod method, grpc::CallbackServerContext& context, bool abandoned,
                         const grpc::ByteBuffer& request, grpc::ByteBuffer& response) noexcept {
            grpc::Status status;
            if (context.deadline() <= std::chrono::system_clock::now()) {
                status = {grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed before it ran"};
            } else if (abandoned || context.IsCancelled()) {
                status = {grpc::StatusCode::CANCELLED, "cancelled before it ran"};
            } else {
                try {
                    status = method == GrpcMethod::get_events ? get_events(request, response)
                                                              : get_events_for_user(request, response);
                } catch (...) {
                    status = status_of_current_exception(GrpcMetrics::method_names[static_cast<std::size_t>(method)]);
                }
            }
            metrics_.count(method, status.error_code());
            return status;
        }

    private:
        grpc::Status get_events(const grpc::ByteBuffer& bytes, grpc::ByteBuffer& response) {
            google::protobuf::Arena arena; // the messages' strings: a pointer bump each, freed at once
            auto* request = google::protobuf::Arena::CreateMessage<pb::GetEventsRequest>(&arena);
            if (!detail::parse(bytes, *request)) return not_a(pb::GetEventsRequest::descriptor()->full_name());
            const auto n = static_cast<std::size_t>(request->ids_size());
            if (n > options_.max_ids)
                return {grpc::StatusCode::INVALID_ARGUMENT, "GetEvents accepts at most " +
                                                                std::to_string(options_.max_ids) +
                                                                " ids per request, got " + std::to_string(n)};
            auto* answer = google::protobuf::Arena::CreateMessage<pb::GetEventsResponse>(&arena);
            if (n > 0) {
                const std::vector<std::string> ids(request->ids().begin(), request->ids().end());
                detail::fill(*answer, history_.get_events(ids));
            }
            return serialize(*answer, response);
        }

        grpc::Status get_events_for_user(const grpc::ByteBuffer& bytes, grpc::ByteBuffer& response) {
            google::protobuf::Arena arena;
            auto* request = google::protobuf::Arena::CreateMessage<pb::GetEventsForUserRequest>(&arena);
            if (!detail::parse(bytes, *request)) return not_a(pb::GetEventsForUserRequest::descriptor()->full_name());
            if (request->userid().empty())
                return {grpc::StatusCode::INVALID_ARGUMENT, "GetEventsForUser needs a non-empty userID"};
            auto* answer = google::protobuf::Arena::CreateMessage<pb::GetEventsResponse>(&arena);
            detail::fill(*answer, history_.get_events_for_user(request->userid()));
            return serialize(*answer, response);
        }

        static grpc::Status not_a(const std::string& message) {
            return {grpc::StatusCode::INVALID_ARGUMENT, "the request is not a valid " + message};
        }
        static grpc::Status serialize(const pb::GetEventsResponse& answer, grpc::ByteBuffer& response) {
            bool own = false;
            return grpc::SerializationTraits<pb::GetEventsResponse>::Serialize(answer, &response, &own);
        }

        History& history_;
        const GrpcOptions& options_;
        GrpcMetrics& metrics_;
        std::unique_ptr<detail::CallWorkers> workers_;
        std::atomic<std::uint64_t> abandoned_{0};
    };

    /// The proto package path: the generated service with both methods taking raw bytes.
    using RawService = pb::EventHistoryService::WithRawCallbackMethod_GetEvents<
        pb::EventHistoryService::WithRawCallbackMethod_GetEventsForUser<pb::EventHistoryService::Service>>;

    class ProtoPath final : public RawService {
    public:
        explicit ProtoPath(Methods& methods) : methods_(methods) {}

        grpc::ServerUnaryReactor* GetEvents(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override {
            return start(GrpcMethod::get_events, *context, *request, *response);
        }
        grpc::ServerUnaryReactor* GetEventsForUser(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) override {
            return start(GrpcMethod::get_events_for_user, *context, *request, *response);
        }

    private:
        /// A unary call: gRPC owns the buffers until the reactor is done.
        class UnaryCall final : public Call, public grpc::ServerUnaryReactor {
        public:
            UnaryCall(Methods& methods, GrpcMethod method, grpc::CallbackServerContext& context,
                      const grpc::ByteBuffer& request, grpc::ByteBuffer& response)
                : Call(methods, method, context), request_(request), response_(response) {}
            void send(const grpc::Status& status) noexcept override { Finish(status); }
            void OnCancel() override { this->abandon(); }
            void OnDone() override { delete this; }
            const grpc::ByteBuffer& request() const noexcept override { return request_; }
            grpc::ByteBuffer& response() noexcept override { return response_; }

        private:
            const grpc::ByteBuffer& request_;
            grpc::ByteBuffer& response_;
        };

        grpc::ServerUnaryReactor* start(GrpcMethod method, grpc::CallbackServerContext& context,
                                        const grpc::ByteBuffer& request, grpc::ByteBuffer& response) {
            auto* call = new UnaryCall(methods_, method, context, request, response);
            grpc::ServerUnaryReactor* reactor = call;
            call->dispatch(); // may finish it at once: gRPC keeps what a reactor did before it is returned
            return reactor;
        }

        Methods& methods_;
    };

    /// Every other path: go-micro's, answered alike; anything else UNIMPLEMENTED as before.
    class GoMicroPath final : public grpc::CallbackGenericService {
    public:
        explicit GoMicroPath(Methods& methods) : methods_(methods) {}

        grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
            if (const auto method = method_of_path(context->method())) return new GenericCall(methods_, *method, *context);
            return grpc::CallbackGenericService::CreateReactor(context);
        }

    private:
        /// Reads the one request message, then runs like a unary call.
        class GenericCall final : public Call, public grpc::ServerGenericBidiReactor {
        public:
            GenericCall(Methods& methods, GrpcMethod method, grpc::CallbackServerContext& context)
                : Call(methods, method, context) {
                StartRead(&request_);
            }
            void OnReadDone(bool ok) override {
                if (ok) return this->dispatch();
                send({grpc::StatusCode::INVALID_ARGUMENT, "no request message"});
            }
            void send(const grpc::Status& status) noexcept override {
                if (status.ok()) StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
                else Finish(status);
            }
            void OnCancel() override { this->abandon(); }
            void OnDone() override { delete this; }
            const grpc::ByteBuffer& request() const noexcept override { return request_; }
            grpc::ByteBuffer& response() noexcept override { return response_; }

        private:
            grpc::ByteBuffer request_, response_;
        };

        Methods& methods_;
    };

    GrpcOptions options_;
    GrpcMetrics metrics_;
    Methods methods_;
    ProtoPath service_;
    GoMicroPath go_micro_;
    int port_ = 0;
    std::unique_ptr<grpc::Server> server_;
};

} // namespace eh::server
