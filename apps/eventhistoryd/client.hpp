#pragma once
// The client side of `eventhistoryd get ID...` and `eventhistoryd user USERID`: call a running
// server over gRPC and print one JSON line per event,
//   {"id":"...","type":"events.X","event":<payload>}
// where <payload> is the event's own JSON when it is valid JSON, else a JSON string of it.
// Exit status: 0 done, 1 the call failed (the status is on err), 2 bad client settings.
#include <algorithm>
#include <chrono>
#include <climits>
#include <exception>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>
#include <simdjson.h>

#include "eh/detail/go_json.hpp"
#include "eh/server/grpc_credentials.hpp"
#include "eh/server/grpc_metrics.hpp"
#include "ocis/services/eventhistory/v0/eventhistory.grpc.pb.h"

namespace eventhistoryd::client {

namespace pb = ::ocis::services::eventhistory::v0;

struct Options {
    std::string address = "127.0.0.1:9274";
    std::chrono::milliseconds timeout{10'000}; ///< deadline of the call
    eh::server::GrpcClientTls tls;
    std::size_t max_receive_bytes = 256u << 20; ///< a user's history easily exceeds gRPC's default of 4 MiB
};

namespace detail {

/// Appends text minified when it is valid JSON (so a pretty-printed payload stays on one
/// line; compact payloads, as reva publishes them, pass unchanged). False when it is not JSON.
inline bool append_if_json(std::string_view text, std::string& out) {
    thread_local simdjson::dom::parser parser;
    if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).error()) return false;
    const std::size_t at = out.size();
    out.resize(at + text.size());
    std::size_t length = 0;
    if (simdjson::minify(text.data(), text.size(), out.data() + at, length) != simdjson::SUCCESS) {
        out.resize(at);
        return false;
    }
    out.resize(at + length);
    return true;
}

} // namespace detail

/// Appends {"id":"...","type":"...","event":<payload>} and a newline to out.
inline void append_event_line(const ::ocis::messages::eventhistory::v0::Event& event, std::string& out) {
    namespace go_json = eh::detail::go_json;
    out += R"({"id":)";
    go_json::quote(event.id(), out);
    out += R"(,"type":)";
    go_json::quote(event.type(), out);
    out += R"(,"event":)";
    if (!detail::append_if_json(event.event(), out)) go_json::quote(event.event(), out); // invalid UTF-8 -> U+FFFD
    out += "}\n";
}

namespace detail {

inline std::unique_ptr<pb::EventHistoryService::Stub> connect(const Options& options) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(std::min<std::size_t>(options.max_receive_bytes, INT_MAX)));
    return pb::EventHistoryService::NewStub(
        grpc::CreateCustomChannel(options.address, eh::server::channel_credentials(options.tls), args));
}

/// Connects, makes one call with a deadline, prints the events or the failure.
template <class Call>
int call_and_print(const Options& options, std::string_view method, Call&& call, std::ostream& out, std::ostream& err) {
    std::unique_ptr<pb::EventHistoryService::Stub> stub;
    try {
        stub = connect(options);
    } catch (const std::exception& e) {
        err << "eventhistoryd: " << e.what() << '\n';
        return 2;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options.timeout);
    pb::GetEventsResponse response;
    if (const grpc::Status status = call(*stub, context, response); !status.ok()) {
        err << "eventhistoryd: " << method << " on " << options.address
            << " failed: " << eh::server::code_name(status.error_code()) << ": " << status.error_message() << '\n';
        return 1;
    }
    std::string line;
    for (const auto& event : response.events()) {
        line.clear();
        append_event_line(event, line);
        out << line;
    }
    if (!out.flush()) {
        err << "eventhistoryd: cannot write the events\n";
        return 1;
    }
    return 0;
}

} // namespace detail

/// `eventhistoryd get ID...`: the events with these ids, in this order; unknown ids are skipped.
inline int get(const Options& options, std::span<const std::string> ids, std::ostream& out, std::ostream& err) {
    pb::GetEventsRequest request;
    request.mutable_ids()->Assign(ids.begin(), ids.end());
    return detail::call_and_print(
        options, "GetEvents",
        [&](pb::EventHistoryService::Stub& stub, grpc::ClientContext& context, pb::GetEventsResponse& response) {
            return stub.GetEvents(&context, request, &response);
        },
        out, err);
}

/// `eventhistoryd user USERID`: the events that mention the user, oldest first.
inline int user(const Options& options, std::string_view user_id, std::ostream& out, std::ostream& err) {
    pb::GetEventsForUserRequest request;
    request.set_userid(std::string(user_id));
    return detail::call_and_print(
        options, "GetEventsForUser",
        [&](pb::EventHistoryService::Stub& stub, grpc::ClientContext& context, pb::GetEventsResponse& response) {
            return stub.GetEventsForUser(&context, request, &response);
        },
        out, err);
}

} // namespace eventhistoryd::client
