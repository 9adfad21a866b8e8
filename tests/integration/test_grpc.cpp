// The gRPC adapter and the client commands against a real gRPC server, in-process on
// 127.0.0.1:0, over EventHistory<ScriptedTransport, MemoryStore> fed with generated events,
// called through real stubs, and by path as go-micro's client calls (generic stub).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <simdjson.h>

#include "client.hpp"
#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/server/grpc_server.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/failing_store.hpp"
#include "eh/testing/gated_store.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "fixtures/certs.hpp"
#include "fixtures/grpc_calls.hpp"
#include "eh/testing/server_process.hpp"

namespace pb = ocis::services::eventhistory::v0;
namespace client = eventhistoryd::client;
using namespace std::chrono_literals;
using namespace std::string_literals;
using grpc::StatusCode;

namespace {

// --- events and the served history ------------------------------------------------------------

eh::Timestamp now() { return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()); }

/// Timestamps from an hour ago on (none in the future, which a store would clamp to the
/// write): the memory store's TTL counts from them.
eh::testing::EventGenerator generator(bool exotic_user_ids = false) {
    return eh::testing::EventGenerator(
        {.seed = 7, .users = 30, .exotic_user_ids = exotic_user_ids, .start = now() - std::chrono::hours{1}});
}

/// An event with a payload of our choosing, in the envelope the generator would publish.
eh::testing::GeneratedEvent custom_event(const eh::testing::EventGenerator& gen, std::string id, std::string type,
                                         std::string payload) {
    eh::Event e{.id = std::move(id), .type = std::move(type), .payload = std::move(payload), .timestamp = now()};
    std::string envelope = gen.envelope(e, "micro-" + e.id);
    return {std::move(e), std::move(envelope)};
}

/// A GrpcServer on a free port over an EventHistory of the given store.
template <class Store = eh::store::MemoryStore>
struct Served {
    using History = eh::EventHistory<eh::testing::ScriptedTransport, Store>;

    explicit Served(eh::server::GrpcOptions options = {}, Store store = Store())
        : history(eh::testing::ScriptedTransport{}, std::move(store)), server(history, on_free_port(std::move(options))) {
        server.start();
    }

    /// Publishes and ingests the events; returns them as the store must give them back.
    std::vector<eh::Event> feed(std::vector<eh::testing::GeneratedEvent> generated) {
        const auto stored_before = history.counters().stored.load();
        std::vector<eh::Event> events;
        for (auto& g : generated) {
            history.transport().publish(std::move(g.envelope));
            events.push_back(std::move(g.event));
        }
        while (history.transport().pending() > 0) history.ingest_once();
        REQUIRE(history.counters().stored.load() - stored_before == events.size());
        return events;
    }
    std::vector<eh::Event> feed(eh::testing::EventGenerator& gen, std::size_t n) {
        std::vector<eh::testing::GeneratedEvent> generated;
        for (std::size_t i = 0; i < n; ++i) generated.push_back(gen.next());
        return feed(std::move(generated));
    }

    std::string address() const { return "127.0.0.1:" + std::to_string(server.port()); }
    std::shared_ptr<grpc::Channel> channel(std::shared_ptr<grpc::ChannelCredentials> credentials =
                                               grpc::InsecureChannelCredentials()) const {
        return grpc::CreateChannel(address(), std::move(credentials));
    }
    std::unique_ptr<pb::EventHistoryService::Stub> stub() const { return pb::EventHistoryService::NewStub(channel()); }

    History history;
    eh::server::GrpcServer<History> server;

private:
    static eh::server::GrpcOptions on_free_port(eh::server::GrpcOptions options) {
        options.address = "127.0.0.1:0";
        return options;
    }
};

// --- calls ------------------------------------------------------------------------------------

using Answer = eh_test::GrpcAnswer;
using eh_test::bytes_of;
using eh_test::call_path;

template <class Request, class Rpc>
Answer call(Rpc rpc, const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    Answer a;
    a.status = rpc(&context, request, &a.response);
    return a;
}
Answer get_events(pb::EventHistoryService::Stub& stub, const std::vector<std::string>& ids) {
    pb::GetEventsRequest request;
    request.mutable_ids()->Assign(ids.begin(), ids.end());
    return call([&](auto* c, const auto& r, auto* out) { return stub.GetEvents(c, r, out); }, request);
}
Answer get_events_for_user(pb::EventHistoryService::Stub& stub, const std::string& user) {
    pb::GetEventsForUserRequest request;
    request.set_userid(user);
    return call([&](auto* c, const auto& r, auto* out) { return stub.GetEventsForUser(c, r, out); }, request);
}

void check_same(const Answer& actual, const std::vector<eh::Event>& expected) {
    REQUIRE_MESSAGE(actual.status.ok(), actual.status.error_message());
    REQUIRE(actual.response.events_size() == static_cast<int>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& got = actual.response.events(static_cast<int>(i));
        CHECK(got.id() == expected[i].id);
        CHECK(got.type() == expected[i].type);
        CHECK(got.event() == expected[i].payload);
    }
}

// --- the standard services, whose generated stubs Debian does not ship ------------------------
// Their few messages are built and read as raw protobuf fields (UnknownFieldSet).

std::string message_with(int field, const std::string& value) {
    google::protobuf::UnknownFieldSet fields;
    fields.AddLengthDelimited(field, value);
    std::string bytes;
    fields.SerializeToString(&bytes);
    return bytes;
}

/// The values of one field number in a message: varints as numbers, the rest as bytes.
std::vector<std::string> fields_of(const std::string& message, int number) {
    google::protobuf::UnknownFieldSet fields;
    REQUIRE(fields.ParseFromString(message));
    std::vector<std::string> out;
    for (int i = 0; i < fields.field_count(); ++i) {
        const auto& f = fields.field(i);
        if (f.number() != number) continue;
        out.push_back(f.type() == google::protobuf::UnknownField::TYPE_VARINT ? std::to_string(f.varint())
                                                                               : f.length_delimited());
    }
    return out;
}

/// One call of any kind over a generic stub, driven step by step: sends one request, then
/// reads answers one at a time.
class GenericCall {
public:
    GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& request)
        : stub_(channel) {
        context_.set_deadline(std::chrono::system_clock::now() + 10s);
        call_ = stub_.PrepareCall(&context_, method, &queue_);
        call_->StartCall(this);
        REQUIRE(step());
        grpc::Slice slice(request);
        call_->Write(grpc::ByteBuffer(&slice, 1), this);
        REQUIRE(step());
        call_->WritesDone(this);
        REQUIRE(step());
    }
    ~GenericCall() {
        if (!finished_) {
            context_.TryCancel();
            finish();
        }
        queue_.Shutdown();
        void* tag;
        bool ok;
        while (queue_.Next(&tag, &ok)) {
        }
    }

    /// The next answer; nullopt when the call has ended.
    std::optional<std::string> read() {
        grpc::ByteBuffer buffer;
        call_->Read(&buffer, this);
        if (!step()) return std::nullopt;
        std::vector<grpc::Slice> slices;
        REQUIRE(buffer.Dump(&slices).ok());
        std::string out;
        for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
        return out;
    }
    grpc::Status finish() {
        grpc::Status status;
        call_->Finish(&status, this);
        step();
        finished_ = true;
        return status;
    }

private:
    bool step() {
        void* tag;
        bool ok = false;
        REQUIRE(queue_.Next(&tag, &ok));
        return ok;
    }

    grpc::GenericStub stub_;
    grpc::ClientContext context_;
    grpc::CompletionQueue queue_;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
    bool finished_ = false;
};

constexpr const char* health_check = "/grpc.health.v1.Health/Check";
constexpr const char* health_watch = "/grpc.health.v1.Health/Watch";
const std::string serving = "1", not_serving = "2"; // grpc.health.v1.HealthCheckResponse.ServingStatus

/// The status field of a health answer, or the call's error.
std::string health(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
    GenericCall call(channel, health_check, message_with(1, service));
    auto answer = call.read();
    const grpc::Status status = call.finish();
    if (!status.ok()) return std::string(eh::server::code_name(status.error_code()));
    REQUIRE(answer);
    auto values = fields_of(*answer, 1);
    return values.empty() ? "0" : values.front();
}

// --- certificates -----------------------------------------------------------------------------

const eh_test::Certs& certs() {
    static eh_test::Certs c;
    return c;
}

std::shared_ptr<grpc::ChannelCredentials> tls_client(const std::string& ca, const std::string& cert = "") {
    return eh::server::channel_credentials(
        {.ca_file = certs()(ca + ".crt"),
         .cert_file = cert.empty() ? "" : certs()(cert + ".crt"),
         .key_file = cert.empty() ? "" : certs()(cert + ".key")});
}

/// The status of a GetEvents call over the given credentials.
StatusCode reach(const Served<>& served, std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = pb::EventHistoryService::NewStub(served.channel(std::move(credentials)));
    return get_events(*stub, {"x"}).status.error_code();
}

} // namespace

// --- the queries ------------------------------------------------------------------------------

TEST_CASE("GetEvents returns the exact id, type and payload bytes, in request order, skipping unknown ids") {
    Served served;
    auto gen = generator();
    auto events = served.feed(gen, 300);
    // Payloads are bytes, not text: NUL, invalid UTF-8 and non-JSON must come back as they were.
    auto odd = served.feed({custom_event(gen, "odd-1", "events.Custom", "\0\xff\"\n{not json"s)});

    std::vector<std::string> ids{"unknown-first"};
    std::vector<eh::Event> expected;
    for (std::size_t k = 0; k < events.size(); k += 2) { // every other one, newest first, unknown ids between
        const eh::Event& e = events[events.size() - 1 - k];
        ids.push_back(e.id);
        expected.push_back(e);
        if (k % 10 == 0) ids.push_back("unknown-" + std::to_string(k));
    }
    ids.push_back(odd[0].id);
    expected.push_back(odd[0]);
    auto stub = served.stub();
    check_same(get_events(*stub, ids), expected);
    check_same(get_events(*stub, {"unknown"}), {});
}

TEST_CASE("GetEventsForUser equals a reference scan ordered by timestamp, also for exotic user ids") {
    Served served;
    auto gen = generator(/*exotic_user_ids=*/true);
    const auto events = served.feed(gen, 1500);
    auto stub = served.stub();

    // The generated users (uuids, e-mail-like ids, ids full of regex metacharacters), then probes.
    std::vector<std::string> users = gen.users();
    users.insert(users.end(), {".*x", "example.com", gen.users()[0].substr(0, 8), "nobody"}); // ".*" alone: refused
    for (std::size_t i = 0; i < users.size(); ++i) {
        const std::string& user = users[i];
        CAPTURE(user);
        std::vector<eh::Event> reference;
        std::copy_if(events.begin(), events.end(), std::back_inserter(reference),
                     [&](const eh::Event& e) { return eh::index::contains_bounded(e.payload, user); });
        std::sort(reference.begin(), reference.end(), [](const eh::Event& a, const eh::Event& b) {
            return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id);
        });
        if (i < gen.users().size()) CHECK(!reference.empty()); // the comparison is not vacuous
        check_same(get_events_for_user(*stub, user), reference);
    }
}

TEST_CASE("GetEvents: an empty id list gives an empty answer, more ids than the limit INVALID_ARGUMENT naming it") {
    Served served;
    auto gen = generator();
    auto events = served.feed(gen, 5);
    auto stub = served.stub();
    check_same(get_events(*stub, {}), {});

    SUBCASE("the default limit: 10,000 ids") {
        std::vector<std::string> ids(10'000, "unknown");
        ids.back() = events[0].id;
        check_same(get_events(*stub, ids), {events[0]});
        ids.push_back(events[1].id);
        const auto over = get_events(*stub, ids);
        CHECK(over.status.error_code() == StatusCode::INVALID_ARGUMENT);
        CHECK(over.status.error_message() == "GetEvents accepts at most 10000 ids per request, got 10001");
    }
    SUBCASE("a configured limit") {
        Served limited({.max_ids = 3});
        limited.feed({custom_event(gen, "a", "events.Custom", "{}")});
        auto limited_stub = limited.stub();
        CHECK(get_events(*limited_stub, {"a", "b", "c"}).response.events_size() == 1);
        const auto over = get_events(*limited_stub, {"a", "b", "c", "d"});
        CHECK(over.status.error_code() == StatusCode::INVALID_ARGUMENT);
        CHECK(over.status.error_message() == "GetEvents accepts at most 3 ids per request, got 4");
    }
}

TEST_CASE("GetEventsForUser with an empty userID is INVALID_ARGUMENT") {
    Served served;
    auto stub = served.stub();
    const auto a = get_events_for_user(*stub, "");
    CHECK(a.status.error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK(a.status.error_message() == "GetEventsForUser needs a non-empty userID");
}

TEST_CASE("GetEventsForUser: a user id beyond its bounds is INVALID_ARGUMENT; an answer beyond the limits "
          "RESOURCE_EXHAUSTED naming the limit") {
    Served served({}, eh::store::MemoryStore({.limits = {.max_events = 5, .max_user_id_bytes = 100}}));
    auto gen = generator();
    auto events = served.feed(gen, 200);
    auto stub = served.stub();
    for (const std::string& user : std::vector<std::string>{":", "-", std::string(101, 'a')}) {
        CAPTURE(user);
        const auto a = get_events_for_user(*stub, user);
        CHECK(a.status.error_code() == StatusCode::INVALID_ARGUMENT);
        CHECK(a.status.error_message().find("user id") != std::string::npos);
    }
    // "opaque_id" is in every event.
    const auto many = get_events_for_user(*stub, "opaque_id");
    CHECK(many.status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    CHECK(many.status.error_message().find("max_events") != std::string::npos);
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.id);
    const auto by_id = get_events(*stub, ids);
    CHECK(by_id.status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    check_same(get_events(*stub, {ids[0], ids[1]}), {events[0], events[1]});
}

TEST_CASE("an oversize request is refused by the message size limit and the server keeps serving") {
    Served served; // default limit: 4 MiB
    auto gen = generator();
    auto events = served.feed(gen, 3);
    auto stub = served.stub();
    const auto big = get_events(*stub, {std::string(5u << 20, 'x')});
    CHECK(big.status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    check_same(get_events(*stub, {events[2].id, events[0].id}), {events[2], events[0]});
    CHECK(health(served.channel(), "") == serving);
}

TEST_CASE("a failing store gives UNAVAILABLE without the store's message, and answers again once it recovers") {
    using Failing = eh::testing::FailingStore<eh::store::MemoryStore>;
    Served<Failing> served;
    auto gen = generator();
    auto events = served.feed(gen, 20);
    auto stub = served.stub();

    served.history.store().fail(true);
    for (const auto& a : {get_events(*stub, {events[0].id}), get_events_for_user(*stub, gen.users()[0])}) {
        CHECK(a.status.error_code() == StatusCode::UNAVAILABLE);
        // A store's message names hosts, master names, buckets: the log has it, the client not.
        CHECK(a.status.error_message() == "the store is unavailable; try again later");
        CHECK(a.status.error_message().find("FailingStore") == std::string::npos);
    }
    served.history.store().fail(false);
    check_same(get_events(*stub, {events[0].id}), {events[0]});

    const auto& m = served.server.metrics();
    using eh::server::GrpcMethod;
    CHECK(m.requests(GrpcMethod::get_events, StatusCode::UNAVAILABLE) == 1);
    CHECK(m.requests(GrpcMethod::get_events_for_user, StatusCode::UNAVAILABLE) == 1);
    CHECK(m.requests(GrpcMethod::get_events, StatusCode::OK) == 1);
}

TEST_CASE("metrics count requests by method and status code") {
    Served served;
    auto gen = generator();
    auto events = served.feed(gen, 10);
    auto stub = served.stub();
    for (int i = 0; i < 3; ++i) get_events(*stub, {events[static_cast<std::size_t>(i)].id});
    get_events(*stub, std::vector<std::string>(10'001, "x"));
    get_events_for_user(*stub, gen.users()[0]);
    get_events_for_user(*stub, gen.users()[1]);
    get_events_for_user(*stub, "");

    std::map<std::pair<std::string, std::string>, std::uint64_t> seen;
    served.server.metrics().for_each([&](std::string_view method, std::string_view code, std::uint64_t n) {
        seen[{std::string(method), std::string(code)}] += n;
    });
    const std::map<std::pair<std::string, std::string>, std::uint64_t> expected{
        {{"GetEvents", "OK"}, 3},
        {{"GetEvents", "INVALID_ARGUMENT"}, 1},
        {{"GetEventsForUser", "OK"}, 2},
        {{"GetEventsForUser", "INVALID_ARGUMENT"}, 1}};
    CHECK(seen == expected);
}


// --- go-micro's paths -------------------------------------------------------------------------

/// Bounds a wait that a hang would make endless; a busy host may need much of it.
constexpr auto patience = 60s;

TEST_CASE("go-micro's paths /<name>.EventHistoryService/<Method> answer exactly like the proto paths") {
    Served served;
    auto gen = generator();
    const auto events = served.feed(gen, 200);
    auto stub = served.stub();
    const std::string user = gen.users()[2];
    pb::GetEventsRequest by_id;
    for (std::size_t i = 0; i < events.size(); i += 7) by_id.add_ids(events[i].id);
    by_id.add_ids("unknown");
    pb::GetEventsForUserRequest by_user;
    by_user.set_userid(user);
    const Answer proto_ids = get_events(*stub, {by_id.ids().begin(), by_id.ids().end()});
    const Answer proto_user = get_events_for_user(*stub, user);
    REQUIRE(proto_ids.status.ok());
    REQUIRE(proto_user.response.events_size() > 0);

    for (const std::string prefix : {"/com.owncloud.api.eventhistory.", "/eu.opencloud.api.eventhistory.", "/"}) {
        CAPTURE(prefix);
        const Answer ids = call_path(served.channel(), prefix + "EventHistoryService/GetEvents", bytes_of(by_id));
        REQUIRE_MESSAGE(ids.status.ok(), ids.status.error_message());
        CHECK(bytes_of(ids.response) == bytes_of(proto_ids.response));
        const Answer mine = call_path(served.channel(), prefix + "EventHistoryService/GetEventsForUser", bytes_of(by_user));
        REQUIRE(mine.status.ok());
        CHECK(bytes_of(mine.response) == bytes_of(proto_user.response));
    }
    // Same limits and errors.
    pb::GetEventsRequest too_many;
    for (int i = 0; i < 10'001; ++i) too_many.add_ids("x");
    const Answer over = call_path(served.channel(), "/com.owncloud.api.eventhistory.EventHistoryService/GetEvents",
                                  bytes_of(too_many));
    CHECK(over.status.error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK(over.status.error_message() == "GetEvents accepts at most 10000 ids per request, got 10001");
    const Answer empty = call_path(served.channel(), "/com.owncloud.api.eventhistory.EventHistoryService/GetEventsForUser",
                                   bytes_of(pb::GetEventsForUserRequest{}));
    CHECK(empty.status.error_code() == StatusCode::INVALID_ARGUMENT);
    // Other services and methods stay unknown.
    for (const std::string path : {"/com.owncloud.api.eventhistory.OtherService/GetEvents",
                                   "/com.owncloud.api.eventhistory.EventHistoryService/Nope",
                                   "/EventHistoryService", "/a/b/c"}) {
        CAPTURE(path);
        CHECK(call_path(served.channel(), path, bytes_of(by_id)).status.error_code() == StatusCode::UNIMPLEMENTED);
    }
    // Metrics by method, whichever path: 3 + 1 proto/go-micro GetEvents OK, 1 limit, etc.
    const auto& m = served.server.metrics();
    using eh::server::GrpcMethod;
    CHECK(m.requests(GrpcMethod::get_events, StatusCode::OK) == 4);
    CHECK(m.requests(GrpcMethod::get_events_for_user, StatusCode::OK) == 4);
    CHECK(m.requests(GrpcMethod::get_events, StatusCode::INVALID_ARGUMENT) == 1);
    CHECK(m.requests(GrpcMethod::get_events_for_user, StatusCode::INVALID_ARGUMENT) == 1);
}

TEST_CASE("method paths: the proto package path and any prefix before EventHistoryService") {
    using eh::server::GrpcMethod;
    using eh::server::method_of_path;
    static_assert(method_of_path("/ocis.services.eventhistory.v0.EventHistoryService/GetEvents") == GrpcMethod::get_events);
    static_assert(method_of_path("/com.owncloud.api.eventhistory.EventHistoryService/GetEventsForUser") ==
                  GrpcMethod::get_events_for_user);
    static_assert(method_of_path("/EventHistoryService/GetEvents") == GrpcMethod::get_events);
    static_assert(!method_of_path("/x.EventHistoryServiceX/GetEvents"));
    static_assert(!method_of_path("/x.XEventHistoryService/GetEvents"));
    static_assert(!method_of_path("/x.EventHistoryService/GetEvents/more"));
    static_assert(!method_of_path("x.EventHistoryService/GetEvents"));
    static_assert(!method_of_path("/x.EventHistoryService/getevents"));
    static_assert(!method_of_path(""));
}

TEST_CASE("a request that is not the method's message gets INVALID_ARGUMENT, never UNIMPLEMENTED") {
    Served served;
    auto gen = generator();
    auto events = served.feed(gen, 3);
    google::protobuf::UnknownFieldSet bad_utf8; // userID (field 1, a proto3 string) that is not UTF-8
    bad_utf8.AddLengthDelimited(1, "\xff\xfe user");
    std::string not_utf8;
    bad_utf8.SerializeToString(&not_utf8);
    const std::string not_protobuf = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"; // a varint that never ends
    for (const std::string prefix : {"/ocis.services.eventhistory.v0.", "/com.owncloud.api.eventhistory."}) {
        CAPTURE(prefix);
        for (const auto& [method, bytes] : {std::pair{"GetEventsForUser", not_utf8}, {"GetEvents", not_utf8},
                                            {"GetEvents", not_protobuf}, {"GetEventsForUser", not_protobuf}}) {
            CAPTURE(method);
            const Answer a = call_path(served.channel(), prefix + "EventHistoryService/" + method, bytes);
            CHECK(a.status.error_code() == StatusCode::INVALID_ARGUMENT);
            CHECK(a.status.error_message().starts_with("the request is not a valid ocis.services.eventhistory.v0."));
        }
    }
    auto stub = served.stub();
    check_same(get_events(*stub, {events[1].id}), {events[1]}); // and the server keeps serving
}

// --- bounded work: slow stores, deadlines, calls in flight ------------------------------------

namespace {

using Gated = eh::testing::GatedStore<eh::store::MemoryStore>;

/// A server with 10 events in a store whose queries hang until the test opens it.
struct HungStore {
    explicit HungStore(eh::server::GrpcOptions options)
        : served(options), gen(generator()), events(served.feed(gen, 10)), stub(served.stub()) {
        served.history.store().close();
    }
    Served<Gated> served;
    eh::testing::EventGenerator gen;
    std::vector<eh::Event> events;
    std::unique_ptr<pb::EventHistoryService::Stub> stub;
};

/// A call made on a thread of its own, for calls that wait in a slow store.
struct Background {
    explicit Background(std::function<Answer()> call) : thread([this, call = std::move(call)] { answer = call(); }) {}
    Answer get() {
        thread.join();
        return answer;
    }
    Answer answer;
    std::thread thread;
};

/// Threads of this process whose name starts with prefix.
std::size_t threads_named(std::string_view prefix) {
    std::size_t n = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        if (std::getline(comm, name) && name.starts_with(prefix)) ++n;
    }
    return n;
}

} // namespace

TEST_CASE("a hung store: calls beyond max_in_flight get RESOURCE_EXHAUSTED at once, health keeps answering") {
    HungStore hung({.max_in_flight = 2, .workers = 2});
    auto& [served, gen, events, stub] = hung;
    Background first([&] { return get_events(*stub, {events[0].id}); });
    Background second([&] { return get_events_for_user(*stub, gen.users()[0]); });
    REQUIRE(eh::testing::eventually([&] { return served.history.store().waiting() == 2; }, patience));
    CHECK(threads_named("eh-grpc-") == 2); // each waiting call holds a worker (named by now)

    // Both slots taken: the next calls, by either path, are refused without waiting.
    const Answer third = get_events(*stub, {events[1].id});
    CHECK(third.status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    CHECK(third.status.error_message() == "too many requests in flight (limit 2); try again");
    pb::GetEventsRequest one;
    one.add_ids(events[1].id);
    CHECK(call_path(served.channel(), "/com.owncloud.api.eventhistory.EventHistoryService/GetEvents", bytes_of(one))
              .status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    CHECK(health(served.channel(), "") == serving);
    CHECK(health(served.channel(), std::string(eh::server::GrpcMetrics::service)) == serving);
    CHECK(served.history.store().queries() == 2); // the refused calls never reached the store

    served.history.store().open();
    check_same(first.get(), {events[0]});
    CHECK(second.get().status.ok());
    check_same(get_events(*stub, {events[1].id}), {events[1]}); // slots free again
    using eh::server::GrpcMethod;
    CHECK(served.server.metrics().requests(GrpcMethod::get_events, StatusCode::RESOURCE_EXHAUSTED) == 2);
}

TEST_CASE("workers = 0: calls run on gRPC's threads, still at most max_in_flight at once") {
    HungStore hung({.max_in_flight = 1, .workers = 0});
    auto& [served, gen, events, stub] = hung;
    Background first([&] { return get_events(*stub, {events[0].id}); });
    REQUIRE(eh::testing::eventually([&] { return served.history.store().waiting() == 1; }, patience));
    CHECK(threads_named("eh-grpc-") == 0); // the waiting call holds one of gRPC's threads
    const Answer refused = get_events_for_user(*stub, gen.users()[0]);
    CHECK(refused.status.error_code() == StatusCode::RESOURCE_EXHAUSTED);
    CHECK(refused.status.error_message() == "too many requests in flight (limit 1); try again");
    CHECK(served.server.in_flight() == 1);

    served.history.store().open();
    check_same(first.get(), {events[0]});
    check_same(get_events(*stub, {events[1].id}), {events[1]});
    CHECK(get_events_for_user(*stub, gen.users()[0]).status.ok());
    CHECK(served.history.store().queries() == 3);
}

TEST_CASE("a call whose deadline passed or whose client cancelled while it queued never reaches the store") {
    HungStore hung({.max_in_flight = 4, .workers = 1});
    auto& [served, gen, events, stub] = hung;
    Background blocking([&] { return get_events(*stub, {events[0].id}); }); // holds the one worker
    REQUIRE(eh::testing::eventually([&] { return served.history.store().waiting() == 1; }, patience));

    // Queued behind it: one call with a deadline that passes while it waits, one the client
    // cancels once it is queued.
    pb::GetEventsRequest request;
    request.add_ids(events[1].id);
    Background expiring([&] {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 5s);
        Answer a;
        a.status = stub->GetEvents(&context, request, &a.response);
        return a;
    });
    grpc::ClientContext cancelled;
    pb::GetEventsResponse ignored;
    std::mutex m;
    std::condition_variable done_cv;
    bool done = false;
    grpc::Status cancelled_status;
    stub->async()->GetEvents(&cancelled, &request, &ignored, [&](grpc::Status st) {
        std::lock_guard lock(m);
        cancelled_status = std::move(st);
        done = true;
        done_cv.notify_all();
    });
    REQUIRE(eh::testing::eventually([&] { return served.server.in_flight() == 3; }, patience));
    cancelled.TryCancel();
    {
        std::unique_lock lock(m);
        REQUIRE(done_cv.wait_for(lock, patience, [&] { return done; }));
    }
    CHECK(cancelled_status.error_code() == StatusCode::CANCELLED);
    CHECK(expiring.get().status.error_code() == StatusCode::DEADLINE_EXCEEDED);
    // The server learns of both a little after the client (its deadline counts from arrival).
    REQUIRE(eh::testing::eventually([&] { return served.server.abandoned() == 2; }, patience));

    served.history.store().open();
    check_same(blocking.get(), {events[0]});
    using eh::server::GrpcMethod;
    const auto& metrics = served.server.metrics();
    // The worker takes the two queued calls, sees them expired and cancelled, and skips them.
    REQUIRE(eh::testing::eventually([&] {
        return metrics.requests(GrpcMethod::get_events, StatusCode::DEADLINE_EXCEEDED) +
                   metrics.requests(GrpcMethod::get_events, StatusCode::CANCELLED) ==
               2;
    }, patience));
    CHECK(served.history.store().queries() == 1);
    check_same(get_events(*stub, {events[2].id}), {events[2]});
}

// --- the standard services --------------------------------------------------------------------

TEST_CASE("health: SERVING overall and for the service while up, NOT_SERVING on shutdown") {
    Served served;
    const std::string service(eh::server::GrpcMetrics::service);
    CHECK(health(served.channel(), "") == serving);
    CHECK(health(served.channel(), service) == serving);
    CHECK(health(served.channel(), "no.such.Service") == "NOT_FOUND");

    std::jthread stopper; // joined after the watch below is cancelled: shutdown waits for in-flight calls
    GenericCall watch(served.channel(), health_watch, message_with(1, service));
    auto first = watch.read();
    REQUIRE(first);
    CHECK(fields_of(*first, 1) == std::vector<std::string>{serving});
    stopper = std::jthread([&] { served.server.shutdown(10s); });
    auto next = watch.read();
    REQUIRE(next);
    CHECK(fields_of(*next, 1) == std::vector<std::string>{not_serving});
}

TEST_CASE("server reflection lists the EventHistoryService") {
    Served served;
    GenericCall reflection(served.channel(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                           message_with(7, "")); // list_services
    auto answer = reflection.read();
    REQUIRE(answer);
    std::vector<std::string> services;
    for (const auto& list : fields_of(*answer, 6))        // list_services_response
        for (const auto& service : fields_of(list, 1))    // service
            for (const auto& name : fields_of(service, 1)) services.push_back(name);
    CHECK(std::count(services.begin(), services.end(), "ocis.services.eventhistory.v0.EventHistoryService") == 1);
    CHECK(std::count(services.begin(), services.end(), "grpc.health.v1.Health") == 1);
}

// --- TLS --------------------------------------------------------------------------------------

TEST_CASE("TLS: a client that trusts the CA gets answers; plaintext and other CAs are refused") {
    Served served({.tls = {.cert_file = certs()("server.crt"), .key_file = certs()("server.key")}});
    CHECK(reach(served, tls_client("ca")) == StatusCode::OK);
    CHECK(reach(served, tls_client("ca", "client")) == StatusCode::OK); // a cert nobody asked for is fine
    CHECK(reach(served, tls_client("rogue")) == StatusCode::UNAVAILABLE);
    CHECK(reach(served, grpc::InsecureChannelCredentials()) == StatusCode::UNAVAILABLE);
}

TEST_CASE("mutual TLS: only clients with a certificate of the client CA get answers") {
    Served served({.tls = {.cert_file = certs()("server.crt"),
                           .key_file = certs()("server.key"),
                           .client_ca_file = certs()("ca.crt")}});
    CHECK(reach(served, tls_client("ca", "client")) == StatusCode::OK);
    CHECK(reach(served, tls_client("ca")) == StatusCode::UNAVAILABLE);
    CHECK(reach(served, tls_client("ca", "rogue-client")) == StatusCode::UNAVAILABLE);
}

TEST_CASE("a taken port stops start() with a message naming the address") {
    Served served;
    eh::server::GrpcServer second(served.history, {.address = served.address()});
    CHECK_THROWS_WITH(second.start(), ("gRPC: cannot listen on '" + served.address() + "'").c_str());
}

TEST_CASE("an unreadable TLS file stops start() with a message naming it") {
    eh::store::MemoryStore store;
    Served<>::History history(eh::testing::ScriptedTransport{}, std::move(store));
    eh::server::GrpcServer server(history, {.address = "127.0.0.1:0",
                                            .tls = {.cert_file = "/nonexistent/server.crt", .key_file = "k"}});
    CHECK_THROWS_WITH(server.start(), doctest::Contains("/nonexistent/server.crt"));
}

// --- the client commands ----------------------------------------------------------------------

TEST_CASE("the client commands print one JSON line per event") {
    Served served;
    auto gen = generator();
    auto events = served.feed(gen, 20);
    auto special = served.feed({custom_event(gen, "plain", "events.Custom", R"({"a": [1, 2], "b": "c d"})"),
                                custom_event(gen, "text", "events.\"Odd\"\tType", "not \"json\"\n"),
                                custom_event(gen, "pretty", "events.Custom", "{\n  \"x\": true\n}\n")});
    const client::Options options{.address = served.address()};
    std::ostringstream out, err;

    SUBCASE("exact lines: payload JSON minified, other payloads as JSON strings") {
        REQUIRE(client::get(options, std::vector<std::string>{"plain", "nope", "text", "pretty"}, out, err) == 0);
        CHECK(out.str() == R"({"id":"plain","type":"events.Custom","event":{"a":[1,2],"b":"c d"}})" "\n"
                           R"({"id":"text","type":"events.\"Odd\"\tType","event":"not \"json\"\n"})" "\n"
                           R"({"id":"pretty","type":"events.Custom","event":{"x":true}})" "\n");
        CHECK(err.str().empty());
    }
    SUBCASE("user: the reference events, oldest first, each line valid JSON holding the payload") {
        const std::string& user = gen.users()[3];
        std::vector<eh::Event> reference;
        for (const auto& e : events)
            if (eh::index::contains_bounded(e.payload, user)) reference.push_back(e); // generated oldest first
        REQUIRE(!reference.empty());
        REQUIRE(client::user(options, user, out, err) == 0);

        simdjson::dom::parser line_parser, payload_parser;
        std::istringstream lines(out.str());
        std::string line;
        std::size_t i = 0;
        for (; std::getline(lines, line); ++i) {
            REQUIRE(i < reference.size());
            simdjson::dom::element doc = line_parser.parse(line);
            CHECK(std::string_view(doc["id"]) == reference[i].id);
            CHECK(std::string_view(doc["type"]) == reference[i].type);
            CHECK(simdjson::to_string(doc["event"]) == simdjson::to_string(payload_parser.parse(reference[i].payload)));
        }
        CHECK(i == reference.size());
    }
    SUBCASE("a failed call: the status on err, exit 1") {
        CHECK(client::user(options, "", out, err) == 1);
        CHECK(err.str() == "eventhistoryd: GetEventsForUser on " + options.address +
                               " failed: INVALID_ARGUMENT: GetEventsForUser needs a non-empty userID\n");
        served.server.shutdown();
        CHECK(client::get(options, std::vector<std::string>{"plain"}, out, err) == 1);
        CHECK(err.str().find("failed: UNAVAILABLE: ") != std::string::npos);
        CHECK(out.str().empty());
    }
    SUBCASE("bad client TLS settings: exit 2 naming the file") {
        client::Options bad = options;
        bad.tls.ca_file = "/nonexistent/ca.crt";
        CHECK(client::get(bad, std::vector<std::string>{"plain"}, out, err) == 2);
        CHECK(err.str().find("/nonexistent/ca.crt") != std::string::npos);
    }
}

TEST_CASE("the client commands speak mutual TLS") {
    Served served({.tls = {.cert_file = certs()("server.crt"),
                           .key_file = certs()("server.key"),
                           .client_ca_file = certs()("ca.crt")}});
    auto gen = generator();
    served.feed({custom_event(gen, "plain", "events.Custom", R"({"a":1})")});
    std::ostringstream out, err;
    client::Options options{.address = served.address(),
                            .tls = {.ca_file = certs()("ca.crt"),
                                    .cert_file = certs()("client.crt"),
                                    .key_file = certs()("client.key")}};
    CHECK(client::get(options, std::vector<std::string>{"plain"}, out, err) == 0);
    CHECK(out.str() == "{\"id\":\"plain\",\"type\":\"events.Custom\",\"event\":{\"a\":1}}\n");
    options.tls.cert_file = options.tls.key_file = "";
    CHECK(client::get(options, std::vector<std::string>{"plain"}, out, err) == 1);
}
