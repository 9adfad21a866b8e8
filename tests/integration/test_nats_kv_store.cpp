// Store `nats-js-kv` against a real nats-server (eh/testing/nats_server.hpp): the ocis layout
// byte for byte both ways, bucket settings, the user index against the reference scan (ocis's
// records indexed too), idempotence, each posting indexed once (also when an indexer is
// taken over mid-range), and the real daemon through kill -9, a NATS restart and a shared
// consumer.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/nats_kv.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/store_contract.hpp"
#include "fixtures/certs.hpp"
#include "fixtures/daemon.hpp"
#include "fixtures/daemon_checks.hpp"
#include "fixtures/kv_client.hpp"
#include "eh/testing/nats_server.hpp"
#include "eh/testing/nats_publisher.hpp"

using namespace std::chrono_literals;
using eh::Event;
using Store = eh::store::NatsKvStore;
using Codec = eh::codec::OcisStoreEvent;
using eh_test::check_users;
using eh_test::Daemon;
using eh::testing::eventually;
using eh_test::KvClient;
using eh::testing::NatsServer;
using eh_test::Published;
using eh::testing::NatsPublisher;
using eh_test::retrievable;
namespace kv = eh::store::detail::nats_kv;

static_assert(eh::Store<Store, Codec> && eh::NamedStore<Store> && eh::HasReady<Store> && eh::HasMaintain<Store>);

namespace {

const Codec codec;
/// How long a test waits for what must happen: a bound on a hang, never a speed check.
constexpr auto patience = 90s;

Store make_store(const NatsServer& nats, std::string database = "eventhistory", std::string table = {},
                 bool memory = false) {
    eh::store::StoreSettings s;
    s.nodes = {nats.endpoint()};
    s.database = std::move(database);
    s.table = std::move(table);
    s.disable_persistence = memory;
    Store store = Store::make(s);
    REQUIRE(eventually([&] { return store.get(std::vector<std::string>{}, codec).empty() && store.ready(); }, patience));
    return store;
}

std::vector<Event> generate(std::size_t n, std::vector<std::string>* users = nullptr, std::uint64_t seed = 1) {
    eh::testing::EventGenerator gen(
        {.seed = seed, .users = 100, .exotic_user_ids = true, .start = eh::SystemClock{}.now() - 1h, .step = 1ms});
    std::vector<Event> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(gen.next().event);
    if (users) *users = gen.users();
    return out;
}

eh::PutStats put_in_batches(Store& store, const std::vector<Event>& events, std::size_t batch = 256) {
    eh::PutStats total;
    for (std::size_t i = 0; i < events.size(); i += batch)
        total += store.put(std::span(events).subspan(i, std::min(batch, events.size() - i)), codec);
    return total;
}

/// A file with this text, removed with it.
class TempFile {
public:
    explicit TempFile(const std::string& text) : dir_(eh::testing::make_temp_dir("eh-conf")) {
        std::ofstream(dir_ / "file") << text;
    }
    ~TempFile() { std::filesystem::remove_all(dir_); }
    std::string path() const { return (dir_ / "file").string(); }

private:
    std::filesystem::path dir_;
};

/// A plain connection, for reading and writing as another NATS client would.
struct Connection {
    explicit Connection(const NatsServer& nats) : client({.endpoints = {nats.endpoint()}}) {
        REQUIRE(eventually([&] { return client.connected(); }, patience));
    }
    std::vector<eh::detail::nats::Message> run(const std::vector<kv::Request>& requests) const {
        return kv::run_pipeline(client.get(), requests, 30s);
    }
    eh::detail::nats::Client client;
};

/// Up to which record the index is complete ("done <b>"; 0 when it is not).
std::uint64_t indexed(const Connection& c, const std::string& bucket = "eventhistory") {
    const kv::IndexNames names(bucket);
    const auto replies = c.run({{names.direct_get(), kv::IndexNames::last_of(names.progress())}});
    const auto& w = replies[0];
    if (!kv::direct_get_sequence(w)) return 0;
    const auto p = kv::Progress::parse(w.data());
    return p && !p->pending ? p->done : 0;
}

/// The bucket's last record sequence.
std::uint64_t last_record(const NatsServer& nats, const std::string& bucket = "eventhistory") {
    return NatsPublisher(nats.endpoint()).stream_info("KV_" + bucket)->State.LastSeq;
}

/// Every posting of a bucket's index, with how often it is stored.
struct IndexContents {
    std::map<std::pair<eh::index::Token, std::uint64_t>, int> postings;
    bool malformed = false;
};

IndexContents read_index(const Connection& c, const std::string& bucket = "eventhistory") {
    const kv::IndexNames names(bucket);
    const auto stream = kv::stream_range(c.run({{"$JS.API.STREAM.INFO." + names.stream(), {}}})[0].data());
    REQUIRE(stream);
    std::vector<kv::Request> gets;
    for (std::uint64_t seq = std::max<std::uint64_t>(stream->first, 1); seq <= stream->last; ++seq)
        gets.push_back({names.direct_get(), kv::Keys::by_sequence(seq)});
    const std::string partitions = "eh-index." + bucket + ".p.";
    IndexContents out;
    for (const auto& m : c.run(gets)) {
        if (!kv::header(m, "Nats-Subject").starts_with(partitions)) continue;
        out.malformed |= !kv::for_each_posting(m.data(), [&](eh::index::Token t, std::uint64_t seq) {
            ++out.postings[{t, seq}];
        });
    }
    return out;
}

/// Waits until the index holds every record the bucket holds now; the index then.
IndexContents wait_indexed(const NatsServer& nats, const std::string& bucket = "eventhistory") {
    const Connection c(nats);
    const auto last = last_record(nats, bucket);
    REQUIRE(eventually([&] { return indexed(c, bucket) >= last; }, patience, 20ms));
    return read_index(c, bucket);
}

/// Each posting is stored at most once.
void check_once(const IndexContents& index) {
    CHECK_FALSE(index.malformed);
    std::size_t twice = 0;
    for (const auto& [posting, n] : index.postings) twice += n > 1;
    CHECK(twice == 0);
    CHECK(!index.postings.empty());
}

std::vector<std::string> ids_of(const std::vector<Event>& events) {
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.id);
    return ids;
}

std::vector<std::string> scan(const std::vector<Event>& events, const std::string& user) {
    std::vector<std::string> ids;
    for (const auto& e : events)
        if (eh::index::contains_bounded(e.payload, user)) ids.push_back(e.id);
    return ids;
}

// An event and the record go-micro's nats-js-kv store writes for it, computed independently
// (Python's base64/base32 modules) from the layout in docs/ocis-contract.md section 3:
// {"key":<id>,"data":<base64 of the StoreEvent JSON>,"metadata":{"type":<type>}}.
const Event fixed{.id = "ev-1", .type = "events.UploadReady",
                  .payload = R"({"Executant":{"opaque_id":"u-1"},"Filename":"a<b>.txt"})",
                  .timestamp = eh::SystemClock{}.now()};
constexpr std::string_view fixed_record =
    R"({"key":"ev-1","data":"eyJJRCI6ImV2LTEiLCJUeXBlIjoiZXZlbnRzLlVwbG9hZFJlYWR5IiwiRXZlbnQiOiJleUpGZUdWamRYUmhiblFpT25zaWIzQmhjWFZsWDJsa0lqb2lkUzB4SW4wc0lrWnBiR1Z1WVcxbElqb2lZVHhpUGk1MGVIUWlmUT09In0=","metadata":{"type":"events.UploadReady"}})";

constexpr std::string_view ocis_record =
    R"({"key":"ev-22","data":"eyJJRCI6ImV2LTIyIiwiVHlwZSI6ImV2ZW50cy5TcGFjZUNyZWF0ZWQiLCJFdmVudCI6ImV5SlRjR0ZqWlU5M2JtVnlJanA3SW05d1lYRjFaVjlwWkNJNklzTzhMVElpZlgwPSJ9","metadata":{"type":"events.SpaceCreated"}})";

} // namespace

TEST_CASE("nats-js-kv settings: without nodes of its own the store uses the events connection; its own settings win") {
    eh::store::StoreSettings s;
    s.events = {.nodes = {"e1:4222"}, .username = "eu", .password = "ep", .tls = {.enable = true, .root_ca_file = "ca"}};
    auto o = Store::options_from(s);
    CHECK(o.connection.endpoints == std::vector<std::string>{"e1:4222"});
    CHECK(o.connection.username == "eu");
    CHECK(o.connection.password == "ep");
    CHECK(o.connection.tls.enable);
    CHECK(o.connection.tls.root_ca_file == "ca");

    s.username = "su"; // its own auth, still on the events servers
    s.tls = {.enable = true, .insecure = true};
    o = Store::options_from(s);
    CHECK(o.connection.username == "su");
    CHECK(o.connection.password.empty());
    CHECK(o.connection.tls.insecure);
    CHECK(o.connection.tls.root_ca_file.empty());

    s.nodes = {"n1:4222"}; // servers of its own: nothing of the events connection
    s.tls = {};
    o = Store::options_from(s);
    CHECK(o.connection.endpoints == std::vector<std::string>{"n1:4222"});
    CHECK_FALSE(o.connection.tls.enable);
}

TEST_CASE("nats-js-kv settings: its check takes none or NATS nodes (URLs too), refuses others naming store.nodes") {
    eh::store::StoreSettings s;
    CHECK_NOTHROW(Store::check(s)); // none: the events connection's
    s.nodes = {"nats://n1:4222", "n2:4222", "tls://user:pw@n3:4222"};
    CHECK_NOTHROW(Store::check(s));
    s.nodes = {"n1:4222", "nats:4222/x"};
    try {
        Store::check(s);
        FAIL("nats:4222/x passed");
    } catch (const eh::config::BadSetting& e) {
        CHECK(e.key == "store.nodes");
        CHECK(std::string(e.what()) == "malformed node \"nats:4222/x\" (nats-js-kv nodes are host:port)");
    }
}

TEST_CASE("store contract: nats-js-kv (a bucket of its own per clause)") {
    NatsServer nats;
    int bucket = 0;
    auto report = eh::testing::check_store_contract<Store>(
        [&] { return make_store(nats, "contract" + std::to_string(++bucket)); });
    INFO(report.text());
    CHECK(report.ok());
}

TEST_CASE("nats-js-kv: keys are padded standard base32 of table_id, as go-micro writes them") {
    std::string out;
    eh::detail::natsjskv::base32("ev-1", out);
    CHECK(out == "MV3C2MI=");
    CHECK(kv::Keys("b", "t").record_key("ev-1") == "ORPWK5RNGE======");
    CHECK(kv::Keys("b", "").record_key("ev-22") == "MV3C2MRS");
    CHECK(kv::Keys("b", "").record_key("ev-333") == "MV3C2MZTGM======");
    CHECK(kv::Keys("b", "").record_key("ev-4444") == "MV3C2NBUGQ2A====");
}

TEST_CASE("nats-js-kv: the exact ocis record both ways; bucket max age, history, direct get, storage") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    Store store = make_store(nats);
    const auto stats = store.put(std::span(&fixed, 1), codec);
    CHECK(stats.stored == 1);
    KvClient records(nats.endpoint(), "eventhistory");
    CHECK(records.get("MV3C2MI=") == fixed_record);
    CHECK(records.keys() == std::vector<std::string>{"MV3C2MI="}); // the index stays out of ocis's bucket

    // Round trip: exact bytes back.
    auto got = store.get(std::vector<std::string>{"ev-1"}, codec);
    REQUIRE(got.size() == 1);
    CHECK(got[0].payload == fixed.payload);
    CHECK(got[0].type == fixed.type);

    // A record ocis wrote is read back, beside ours, in request order.
    records.put("MV3C2MRS", std::string(ocis_record));
    got = store.get(std::vector<std::string>{"ev-22", "missing", "ev-1"}, codec);
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == "ev-22");
    CHECK(got[0].type == "events.SpaceCreated");
    CHECK(got[0].payload == "{\"SpaceOwner\":{\"opaque_id\":\"\xc3\xbc-2\"}}");
    CHECK(got[1].id == "ev-1");
    Store tabled = make_store(nats, "eventhistory", "t");
    CHECK(tabled.put(std::span(&fixed, 1), codec).stored == 1);
    CHECK(records.get("ORPWK5RNGE======") == fixed_record);

    // Bucket settings: max age = TTL (336h), history 1, direct get, file storage; the index alike.
    for (const std::string stream : {"KV_eventhistory", "eventhistory-index"}) {
        CAPTURE(stream);
        auto info = pub.stream_info(stream);
        REQUIRE(info);
        CHECK(info->Config->MaxAge == std::chrono::nanoseconds(336h).count());
        CHECK(info->Config->Storage == js_FileStorage);
    }
    auto records_info = pub.stream_info("KV_eventhistory");
    CHECK(records_info->Config->MaxMsgsPerSubject == 1); // history 1
    CHECK(records_info->Config->AllowDirect);
    Store memory = make_store(nats, "volatile", {}, /*memory=*/true);
    CHECK(memory.put(std::span(&fixed, 1), codec).stored == 1);
    CHECK(pub.stream_info("KV_volatile")->Config->Storage == js_MemoryStorage);
    CHECK(pub.stream_info("volatile-index")->Config->Storage == js_MemoryStorage);
}

TEST_CASE("nats-js-kv: a record ocis wrote is indexed: find_by_user finds it from the index") {
    NatsServer nats;
    Store store = make_store(nats);
    KvClient records(nats.endpoint(), "eventhistory");
    records.put("MV3C2MRS", std::string(ocis_record)); // as ocis writes it: a plain KV put
    const auto seq = last_record(nats);
    const auto index = wait_indexed(nats); // from here on find_by_user reads it through the index
    CHECK(index.postings.contains({eh::index::token_hash("SpaceOwner"), seq}));
    check_once(index);
    const auto got = store.find_by_user("\xc3\xbc-2", codec);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == "ev-22");
    CHECK(got[0].timestamp != eh::Timestamp{}); // when the stream stored it: the record holds no time
    // Another table's store does not answer with it (its key is not that table's)...
    CHECK(make_store(nats, "eventhistory", "t").find_by_user("\xc3\xbc-2", codec).empty());
    // ... and once deleted, nobody does.
    REQUIRE(kvStore_Delete(records.kv.get(), "MV3C2MRS") == NATS_OK);
    CHECK(store.find_by_user("\xc3\xbc-2", codec).empty());
}

TEST_CASE("nats-js-kv: an indexer killed mid-range is taken over after its lease: range completed, no posting twice") {
    NatsServer nats;
    const std::string bucket = "takeover";
    const Connection c(nats);
    // The bucket, its index stream and 300 records, with no store (so no indexer) running yet.
    jsCtx* js_raw = nullptr;
    REQUIRE(natsConnection_JetStream(&js_raw, c.client.get(), nullptr) == NATS_OK);
    const eh::detail::nats::JetStream js(js_raw);
    kv::open_bucket(js.get(), {bucket, 336h, false, 1});
    const kv::IndexNames names(bucket);
    kv::ensure_index_stream(js.get(), {names.stream(), 336h, false, 1}, names.wildcard());
    std::vector<std::string> users;
    const auto events = generate(300, &users, 31);
    const kv::Keys keys(bucket, "");
    std::vector<kv::Request> puts;
    kv::RangePostings range(1);
    std::vector<eh::index::Token> tokens;
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::string data;
        codec.encode(events[i], data);
        auto& r = puts.emplace_back(kv::Request{keys.record_subject(keys.record_key(events[i].id)), {}});
        kv::encode_record(events[i], data, r.payload);
        tokens.clear();
        eh::index::tokenize(events[i].payload, tokens);
        for (const auto t : tokens) range.add(t, i + 1); // a new stream: the records are sequences 1..300
    }
    for (const auto& ack : c.run(puts)) REQUIRE(kv::pub_ack(ack.data()).seq);

    // What a killed indexer leaves: its claim of 1..300 and every other partition message.
    std::vector<kv::Request> trace{{names.progress(), kv::Progress::pending_message(1, 300, "killed", 0), 0}};
    std::set<std::pair<eh::index::Token, std::uint64_t>> want;
    std::size_t n = 0;
    range.for_each_partition(std::size_t{1} << 20, [&](unsigned k, const std::string& body) {
        kv::for_each_posting(body, [&](eh::index::Token t, std::uint64_t seq) { want.emplace(t, seq); });
        if (n++ % 2 == 0) trace.push_back({names.partition(k), body, {}, {{kv::range_header, kv::range_name(1, 300)}}});
    });
    REQUIRE(n > 100); // several partitions, some written, some not
    for (const auto& ack : c.run(trace)) REQUIRE(kv::pub_ack(ack.data()).seq);

    eh::store::NatsKvOptions o;
    o.connection.endpoints = {nats.endpoint()};
    o.database = bucket;
    o.indexer.lease = 1s;
    Store store(o);
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { store.maintain(); return store.ready(); }, patience));
    const auto index = wait_indexed(nats, bucket);
    CHECK(std::chrono::steady_clock::now() - start >= 1s); // the killed owner's lease was respected
    check_once(index);
    std::set<std::pair<eh::index::Token, std::uint64_t>> got;
    for (const auto& [posting, count] : index.postings) got.insert(posting);
    CHECK(got == want); // completed: every posting of the range, each once
    for (const auto& u : {users[0], users[1], users[2]}) CHECK(ids_of(store.find_by_user(u, codec)) == scan(events, u));
}

TEST_CASE("nats-js-kv: a redelivered id is a duplicate and adds no index entry twice; too old is not stored") {
    NatsServer nats;
    Store store = make_store(nats);
    std::vector<std::string> users;
    const auto events = generate(300, &users, 7);
    CHECK(put_in_batches(store, events, 100).stored == 300);
    const auto index = wait_indexed(nats);
    check_once(index);
    const auto again = put_in_batches(store, events, 64); // other batch boundaries
    CHECK(again.stored == 0);
    CHECK(again.duplicates == 300);
    CHECK(last_record(nats) == 300); // nothing written
    std::this_thread::sleep_for(300ms); // the indexer polls every 50 ms: give it the chance to err
    CHECK(read_index(Connection(nats)).postings == index.postings); // no posting added
    for (const auto& u : {users[0], users[1], users[2]}) CHECK(ids_of(store.find_by_user(u, codec)) == scan(events, u));

    Event old = fixed;
    old.id = "old";
    old.timestamp = eh::SystemClock{}.now() - 337h;
    CHECK(store.put(std::span(&old, 1), codec).expired == 1);
    CHECK(store.get(std::vector<std::string>{"old"}, codec).empty());
}

TEST_CASE("nats-js-kv: find_by_user equals the reference scan (5,000 events, exotic ids, >= 100 queries)") {
    NatsServer nats;
    Store store = make_store(nats);
    std::vector<std::string> users;
    const auto events = generate(5000, &users, 11);
    CHECK(put_in_batches(store, events).stored == events.size());

    std::vector<std::string> queries = users; // 100, a third of each exotic kind
    for (std::string extra : {"example", "com", "opaque_id", "1", "a", "x", "name@example.com", "u", "$", "{2}"})
        queries.push_back(extra); // saturated tokens, punctuation, single characters
    std::mt19937 rng(3);
    for (int i = 0; i < 10; ++i) queries.push_back(events[rng() % events.size()].id);
    // Right away (the indexer still behind: the unindexed tail is read), then from the index.
    for (const bool indexed : {false, true}) {
        CAPTURE(indexed);
        if (indexed) check_once(wait_indexed(nats));
        std::size_t nonempty = 0;
        for (const auto& q : queries) {
            CAPTURE(q);
            std::size_t runs = 0;
            eh::index::for_each_word_run(q, [&](std::string_view) { ++runs; });
            if (runs == 0) { // no word character: it would match nearly everything
                CHECK_THROWS_AS(store.find_by_user(q, codec), eh::InvalidQuery);
                continue;
            }
            const auto got = store.find_by_user(q, codec);
            const auto want = scan(events, q);
            CHECK(ids_of(got) == want); // generated timestamps rise with the events' order
            nonempty += !want.empty();
            for (const auto& e : got) CHECK(e.timestamp != eh::Timestamp{});
        }
        CHECK(nonempty >= 100);
    }

    // GetEvents of 100 ids (pipelined): all of them, in request order.
    for (int round = 0; round < 10; ++round) {
        std::vector<std::string> ids;
        for (int i = 0; i < 100; ++i) ids.push_back(events[rng() % events.size()].id);
        CHECK(ids_of(store.get(ids, codec)) == ids);
    }
}

TEST_CASE("nats-js-kv: an id that cannot be a KV key is refused alone, before anything is sent; reads skip it; "
          "the connection stays up") {
    NatsServer nats;
    Store store = make_store(nats);
    auto events = generate(20);
    Event huge_id = events[0];
    huge_id.id = std::string(3000, 'A'); // base32: ~4.8 KB, beyond the server's 4 KiB control line
    std::vector<Event> batch(events.begin() + 1, events.end());
    batch.insert(batch.begin() + 5, huge_id);
    CHECK_THROWS_WITH_AS(store.put(batch, codec), doctest::Contains("cannot be a NATS KV key"), eh::StoreRefusal);
    CHECK(last_record(nats) == 0); // refused before anything was written
    // Reads of such ids, again and again: skipped, and the store keeps its connection.
    for (int i = 0; i < 20; ++i) {
        std::vector<std::string> ids{std::string(3000, 'A'), "", std::string(700, 'x')};
        CHECK(store.get(ids, codec).empty());
    }
    CHECK(store.ready());
    CHECK(put_in_batches(store, std::vector<Event>(events.begin() + 1, events.end())).stored == 19);
    std::vector<std::string> ids{events[1].id, std::string(3000, 'A'), events[2].id};
    CHECK(ids_of(store.get(ids, codec)) == std::vector<std::string>{events[1].id, events[2].id});
}

TEST_CASE("nats-js-kv: a record larger than the server takes is refused alone (StoreRefusal), not retried as an outage") {
    NatsServer nats;
    Store store = make_store(nats);
    auto events = generate(3);
    events[1].payload = R"({"blob":")" + std::string(600 * 1024, 'x') + R"("})"; // > 1 MiB after two base64s
    CHECK_THROWS_WITH_AS(store.put(events, codec), doctest::Contains("more than the NATS server takes"),
                         eh::StoreRefusal);
    CHECK(store.ready());
    CHECK(store.put(std::span(events).first(1), codec).stored == 1);
}

TEST_CASE("nats-js-kv: queries stop at their limits; a user id beyond its bounds is refused") {
    NatsServer nats;
    eh::store::NatsKvOptions o;
    o.connection.endpoints = {nats.endpoint()};
    o.limits = {.max_events = 50, .max_candidates = 400};
    Store store(o);
    REQUIRE(eventually([&] { return store.get(std::vector<std::string>{}, codec).empty() && store.ready(); }, patience));
    std::vector<std::string> users;
    const auto events = generate(1000, &users, 3);
    REQUIRE(put_in_batches(store, events).stored == 1000);
    // Before the index has them: the records after it are candidates, more than 400.
    CHECK_THROWS_WITH_AS(store.find_by_user(users[0], codec), doctest::Contains("max_candidates"), eh::AnswerTooLarge);
    wait_indexed(nats);
    CHECK(ids_of(store.find_by_user(users[0], codec)) == scan(events, users[0])); // a rare run: answered
    // A run in every event: too many candidates, not every record read.
    CHECK_THROWS_WITH_AS(store.find_by_user("opaque_id", codec), doctest::Contains("max_candidates"),
                         eh::AnswerTooLarge);
    std::vector<std::string> ids = ids_of(events);
    CHECK_THROWS_WITH_AS(store.get(ids, codec), doctest::Contains("max_events"), eh::AnswerTooLarge);
    CHECK(store.get(std::span(ids).first(50), codec).size() == 50);
    CHECK_THROWS_AS(store.find_by_user(":", codec), eh::InvalidQuery);
    CHECK_THROWS_AS(store.find_by_user(std::string(300, 'a'), codec), eh::InvalidQuery);
}

TEST_CASE("nats-js-kv: index partition messages larger than the server's max payload are split, not retried forever") {
    TempFile conf("max_payload: 8192\n");
    NatsServer nats(/*start_now=*/true, {"-c", conf.path()});
    Store store = make_store(nats);
    std::vector<std::string> users;
    const auto events = generate(2000, &users, 13); // common tokens: ~8 KB of postings each per range
    REQUIRE(put_in_batches(store, events, 100).stored == 2000);
    check_once(wait_indexed(nats)); // the indexer got through
    for (std::size_t u = 0; u < 5; ++u) CHECK(ids_of(store.find_by_user(users[u], codec)) == scan(events, users[u]));
}

// --- The real daemon, `--store-type nats-js-kv` on the events NATS (no store nodes) ----------

namespace {

const std::vector<std::string> kv_flags{"--store-type", "nats-js-kv"};

Published publishable(std::size_t n, std::uint64_t seed) {
    eh::testing::EventGenerator gen(
        {.seed = seed, .users = 30, .exotic_user_ids = true, .start = eh::SystemClock{}.now() - 1h});
    Published p;
    for (std::size_t i = 0; i < n; ++i) p.events.push_back(gen.next());
    p.users = gen.users();
    return p;
}

} // namespace

/// A daemon ingesting while events are published continuously; run() disrupts it once some
/// are stored, then checks that every event is there once.
struct IngestUnderLoad {
    IngestUnderLoad(std::size_t n, std::uint64_t seed) : p(publishable(n, seed)) {
        NatsPublisher(nats.endpoint()).create_stream();
    }
    /// Half the events are published before the disruption, the rest from when it began.
    template <class Disrupt>
    void run(double stored_before, Disrupt&& disrupt) {
        Daemon d(nats.endpoint(), kv_flags);
        eh::testing::ContinuousPublisher pub(nats.endpoint(), p.events, p.events.size() / 2);
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", stored_before, patience));
        disrupt(d, pub);
        REQUIRE(pub.finish());
        REQUIRE(eventually([&] { return retrievable(d, p) == p.events.size(); }, patience, 200ms));
        check_users(d, p);
        CHECK(KvClient(nats.endpoint(), "eventhistory").keys().size() == p.events.size());
        check_once(wait_indexed(nats)); // a range cut short by the disruption was completed, not repeated
        CHECK(eventually([&] { return d.status("/readyz") == 200; }, patience));
    }

    NatsServer nats;
    Published p;
};

TEST_CASE("nats-js-kv daemon: kill -9 mid-ingest under continuous publishing, restart: 0 lost, none twice") {
    IngestUnderLoad(4000, 21).run(1000, [](Daemon& d, eh::testing::ContinuousPublisher& pub) {
        d.kill();
        pub.release();
        d.start();
    });
}

TEST_CASE("nats-js-kv daemon: nats-server killed and restarted mid-ingest (file storage): 0 lost") {
    IngestUnderLoad load(3000, 22);
    load.run(800, [&](Daemon&, eh::testing::ContinuousPublisher& pub) {
        load.nats.kill();
        pub.release();
        std::this_thread::sleep_for(1s); // an outage, not a blip
        load.nats.start();
    });
}

TEST_CASE("nats-js-kv daemon: two daemons share store and consumer: both answer for all, each event stored once") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    const Published p = publishable(3000, 23);
    // What a paused daemon was handed comes back to the other after the ack wait.
    const std::vector<std::string> flags{"--store-type", "nats-js-kv", "--consumer-ack-wait", "3s"};
    Daemon a(nats.endpoint(), flags), b(nats.endpoint(), flags);
    // Ready before the first event: the bucket is opened while idle.
    CHECK(eventually([&] { return a.status("/readyz") == 200 && b.status("/readyz") == 200; }, patience, 50ms));
    auto publish = [&](std::size_t from, std::size_t to) {
        std::vector<std::string> bodies;
        for (std::size_t i = from; i < to; ++i) bodies.push_back(p.events[i].envelope);
        pub.publish_all(bodies);
    };
    auto acks = [](const Daemon& d) { return d.metric("eventhistory_acks_total"); };
    // Every published message acked: none waits, none is out unacked (a paused daemon's too).
    auto drained = [&] {
        const auto info = pub.consumer_info("eventhistory");
        return info->NumPending == 0 && info->NumAckPending == 0;
    };

    // Which daemon the server hands an event to is its scheduling, not a promise. So each one
    // first fetches alone (the other paused: SIGSTOP), then both together. What a paused
    // daemon's open pull requests took comes back to the other after the ack wait. Acks, not
    // stores, are counted: a batch retried after a slow reply finds its records stored.
    b.pause();
    publish(0, 1000);
    REQUIRE(eventually(drained, patience, 50ms));
    CHECK(acks(a) >= 1000); // b could ack nothing
    a.pause();
    b.resume();
    publish(1000, 2000);
    REQUIRE(eventually(drained, patience, 50ms));
    CHECK(acks(b) >= 1000); // a could ack nothing
    a.resume();
    publish(2000, 3000);

    auto sum = [&](std::string_view metric) { return a.metric(metric) + b.metric(metric); };
    REQUIRE(eventually([&] { return sum("eventhistory_events_stored_total") >= 3000; }, patience, 50ms));
    CHECK(sum("eventhistory_events_stored_total") == 3000); // a redelivery is a duplicate, never stored twice
    REQUIRE(eventually([&] { return pub.consumer_info("eventhistory")->NumAckPending == 0; }, patience, 50ms));
    CHECK(sum("eventhistory_events_stored_total") + sum("eventhistory_events_duplicates_total") ==
          sum("eventhistory_acks_total")); // each acked only what it stored (or found stored)
    CHECK(retrievable(a, p) == 3000);
    CHECK(retrievable(b, p) == 3000);
    check_users(a, p);
    check_users(b, p);
    check_once(wait_indexed(nats)); // two indexers took turns
}

TEST_CASE("nats-js-kv daemon: store nodes of its own over TLS (OCIS_PERSISTENT_STORE_*), apart from the events") {
    const eh_test::Certs certs;
    NatsServer events;
    NatsServer store(true, {"--tls", "--tlscert", certs("server.crt"), "--tlskey", certs("server.key")});
    NatsPublisher pub(events.endpoint());
    pub.create_stream();
    const Published p = publishable(300, 24);
    auto tls_env = [&](const std::string& ca) {
        return eh_test::EnvVars{{"OCIS_PERSISTENT_STORE_NODES", store.endpoint()},
                                {"OCIS_PERSISTENT_STORE_ENABLE_TLS", "true"},
                                {"OCIS_PERSISTENT_STORE_TLS_ROOT_CA_CERTIFICATE", certs(ca)}};
    };
    std::vector<std::string> bodies;
    for (const auto& e : p.events) bodies.push_back(e.envelope);
    pub.publish_all(bodies);
    {
        Daemon d(events.endpoint(), kv_flags, tls_env("ca.crt"));
        REQUIRE(d.wait_metric_at_least("eventhistory_events_stored_total", 300, patience));
        CHECK(retrievable(d, p) == 300);
        CHECK(d.status("/readyz") == 200);
        KvClient on_events(events.endpoint());
        CHECK_FALSE(on_events.bind("eventhistory")); // the records are on the store's own nodes
    }
    // A CA that did not sign the store's certificate: no store, what comes is NAKed, /readyz says so.
    Daemon distrusting(events.endpoint(), kv_flags, tls_env("rogue.crt"));
    pub.publish_all({publishable(1, 25).events[0].envelope});
    REQUIRE(distrusting.wait_metric_at_least("eventhistory_store_errors_total", 1, patience));
    CHECK(distrusting.metric("eventhistory_acks_total") == 0);
    CHECK(distrusting.body("/readyz").find("store not ready") != std::string::npos);
}

TEST_CASE("nats-js-kv daemon: one event too large for a record among 300: the 300 are stored, it is terminated "
          "with a log line") {
    NatsServer nats;
    NatsPublisher pub(nats.endpoint());
    pub.create_stream();
    const Published p = publishable(300, 41);
    eh::testing::EventGenerator gen({.seed = 42, .start = eh::SystemClock{}.now() - 1h});
    const Event big{.id = "too-big-for-a-record", .type = "events.X",
                    .payload = R"({"blob":")" + std::string(600 * 1024, 'x') + R"("})",
                    .timestamp = eh::SystemClock{}.now() - 1h};
    std::vector<std::string> bodies;
    for (const auto& e : p.events) bodies.push_back(e.envelope);
    bodies.insert(bodies.begin() + 150, gen.envelope(big, "micro-big")); // stream sequence 151
    pub.publish_all(bodies);
    auto flags = kv_flags;
    flags.insert(flags.end(), {"--consumer-max-refusals", "2"});
    Daemon d(nats.endpoint(), flags);
    REQUIRE(eventually([&] { return retrievable(d, p) == p.events.size(); }, patience, 200ms));
    REQUIRE(d.wait_metric_at_least("eventhistory_events_refused_total", 1, patience));
    CHECK(d.metric("eventhistory_events_refused_total") == 1);
    const std::string log = d.log();
    CHECK(log.find("terminated message at stream sequence 151") != std::string::npos);
    CHECK(log.find("too-big-for-a-record") != std::string::npos);
    check_users(d, p);
}

// --- 100k records: what holds at that size. The speed figures are eh-bench's -----------------
// (`eh-bench get|user --store-type nats-js-kv`, docs/performance.md).

TEST_CASE("nats-js-kv at 100k records: every record found, the index complete, a user's events exact") {
    NatsServer nats;
    Store store = make_store(nats);
    eh::testing::EventGenerator gen({.seed = 5, .users = 4000, .start = eh::SystemClock{}.now() - 1h, .step = 1ms});
    std::vector<Event> events;
    for (int i = 0; i < 100'000; ++i) events.push_back(gen.next().event);
    CHECK(put_in_batches(store, events).stored == events.size());
    CHECK(KvClient(nats.endpoint(), "eventhistory").keys().size() == events.size());
    check_once(wait_indexed(nats));

    std::mt19937 rng(9);
    for (int round = 0; round < 20; ++round) {
        std::vector<std::string> ids;
        for (int i = 0; i < 100; ++i) ids.push_back(events[rng() % events.size()].id);
        CHECK(ids_of(store.get(ids, codec)) == ids);
    }
    for (std::size_t u = 0; u < 20; ++u) {
        CAPTURE(gen.users()[u]);
        CHECK(ids_of(store.find_by_user(gen.users()[u], codec)) == scan(events, gen.users()[u]));
    }
}
