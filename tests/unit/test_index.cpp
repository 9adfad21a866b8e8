// The user index gives exactly the reference scan's answer (the id, literally, between
// non-word characters: docs/ocis-contract.md section 2).
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/memory.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/manual_clock.hpp"

using eh::index::contains_bounded;

TEST_CASE("match: the id must be bounded by non-word characters or the ends") {
    CHECK(contains_bounded(R"({"opaque_id":"alice"})", "alice"));
    CHECK_FALSE(contains_bounded(R"({"opaque_id":"alice2"})", "alice"));
    CHECK_FALSE(contains_bounded(R"({"opaque_id":"malice"})", "alice"));
    CHECK_FALSE(contains_bounded(R"({"opaque_id":"alice_b"})", "alice"));
    CHECK(contains_bounded(R"({"id":"st$alice!node"})", "alice"));
    CHECK(contains_bounded("alice", "alice"));
    CHECK(contains_bounded("x alice", "alice"));
    CHECK(contains_bounded("alicealice alice.", "alice")); // a later occurrence is bounded
    CHECK(contains_bounded("caf\xc3\xa9" "alice", "alice"));   // UTF-8 bytes are \W, as in RE2
    CHECK_FALSE(contains_bounded("anything", ""));
}

TEST_CASE("match: the id is literal, never a pattern (ocis's \\W<id>\\W regex leaks with \".*\")") {
    CHECK_FALSE(contains_bounded(R"({"a":"alice"})", ".*"));
    CHECK(contains_bounded(R"({"a":".*"})", ".*"));
    CHECK_FALSE(contains_bounded(R"({"a":"x.*y"})", ".*")); // bounded means by \W: 'x' is a word character
    CHECK_FALSE(contains_bounded(R"({"a":"a.b"})", "a*b"));
    CHECK(contains_bounded(R"x({"a":"a.b*c+(1)"})x", "a.b*c+(1)"));
    CHECK(contains_bounded(R"({"mail":"bob@example.com"})", "bob@example.com"));
    CHECK_FALSE(contains_bounded(R"({"mail":"bob@example.comx"})", "bob@example.com"));
}

TEST_CASE("tokens: maximal word runs, hashed, distinct") {
    std::vector<std::string> runs;
    eh::index::for_each_word_run(R"({"opaque_id":"a-b_c","x":1.5})", [&](std::string_view r) { runs.emplace_back(r); });
    CHECK(runs == std::vector<std::string>{"opaque_id", "a", "b_c", "x", "1", "5"});
    std::vector<eh::index::Token> t;
    eh::index::tokenize("a a b a", t);
    CHECK(t.size() == 2);
    CHECK(eh::index::token_hash("a") != eh::index::token_hash("b"));
}

TEST_CASE("tokens: the 64-byte bit-mask scanner finds the same runs as a byte loop, at every length and boundary") {
    // Byte-wise reference, with an alphabet dense in boundaries: word bytes, separators, UTF-8.
    auto runs_of = [](std::string_view text) {
        std::vector<std::string> runs;
        std::string run;
        for (char c : text) {
            if (eh::detail::is_word(c)) {
                run += c;
            } else if (!run.empty()) {
                runs.push_back(run);
                run.clear();
            }
        }
        if (!run.empty()) runs.push_back(run);
        return runs;
    };
    const std::string alphabet = "aZ09_-\"@ .\x7f\x80\xc3\xa9`[{/:";
    std::mt19937 rng(7);
    for (std::size_t length = 0; length < 300; ++length) {
        for (int round = 0; round < 8; ++round) {
            std::string text(length, 'a');
            // Long word runs on some rounds, so that runs cross the 64-byte chunks.
            const std::size_t spread = round % 2 == 0 ? alphabet.size() : 40;
            for (char& c : text) {
                const std::size_t k = rng() % spread;
                c = k < alphabet.size() ? alphabet[k] : 'x';
            }
            std::vector<std::string> found;
            eh::index::for_each_word_run(text, [&](std::string_view r) { found.emplace_back(r); });
            REQUIRE_MESSAGE(found == runs_of(text), "length " << length << " round " << round);
        }
    }
    // Also the constant-evaluated path (the byte loop).
    static_assert([] {
        int n = 0;
        eh::index::for_each_word_run("ab-c", [&](std::string_view) { ++n; });
        return n;
    }() == 2);
}

namespace {
std::vector<eh::Event> reference_scan(const std::vector<eh::Event>& all, std::string_view user) {
    std::vector<eh::Event> out;
    for (const auto& e : all)
        if (contains_bounded(e.payload, user)) out.push_back(e);
    std::sort(out.begin(), out.end(),
              [](const eh::Event& a, const eh::Event& b) { return std::tie(a.timestamp, a.id) < std::tie(b.timestamp, b.id); });
    return out;
}
} // namespace

TEST_CASE("property: memory store user index == reference scan, 10,000 events, >= 200 queries") {
    eh::testing::EventGenerator gen({.seed = 42, .users = 150, .exotic_user_ids = true});
    // The clock after the events' times (from the generator's start on): none is in the future.
    eh::testing::ManualClock clock(eh::Timestamp{std::chrono::seconds{1'764'306'870 + 3600}});
    // Answers as large as the queries below ask for ("https" is in every event).
    const eh::store::QueryLimits unlimited{.max_events = 1'000'000, .max_bytes = std::size_t{1} << 40,
                                           .max_candidates = 1'000'000};
    eh::store::BasicMemoryStore<eh::testing::ManualClock> store({.limits = unlimited}, clock);
    // A second store that saturates early, so that queries also take the scan fallback.
    eh::store::BasicMemoryStore<eh::testing::ManualClock> saturating(
        {.shards = 4, .saturation_floor = 32, .limits = unlimited}, clock);
    // A third that indexes only when told: its answers come from the queue of unindexed
    // records first, then (after maintain) from the index alone.
    eh::store::BasicMemoryStore<eh::testing::ManualClock> deferred({.index_in_background = false, .limits = unlimited},
                                                                   clock);
    const eh::codec::OcisStoreEvent codec;

    std::vector<eh::Event> all;
    for (int i = 0; i < 10'000; ++i) all.push_back(gen.next().event);
    // Shuffle so that timestamp order differs from insertion order.
    std::mt19937_64 rng(3);
    std::vector<eh::Event> shuffled = all;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (std::size_t i = 0; i < shuffled.size(); i += 256) {
        auto batch = std::span(shuffled).subspan(i, std::min<std::size_t>(256, shuffled.size() - i));
        store.put(batch, codec);
        saturating.put(batch, codec);
        deferred.put(batch, codec);
    }
    REQUIRE(store.size() == all.size());
    REQUIRE(deferred.queued() == all.size());

    std::vector<std::string> queries(gen.users().begin(), gen.users().end()); // uuids, e-mails, metacharacters
    for (std::size_t i = 0; i < 40; ++i) {
        const std::string& u = gen.users()[i];
        queries.push_back(u.substr(0, 8));          // a prefix: bounded by '-' for uuids
        queries.push_back(u.substr(1, u.size() - 2)); // inner part: mostly unbounded, must not match
    }
    for (const char* q : {"https", "cloud.example.com", "opaque_id", "idp", ".*", "$", "!", "\"", "type\":1",
                          "00000000-0000-0000-0000-000000000000", "events", "1", "true", "a.b*c+("})
        queries.emplace_back(q);
    REQUIRE(queries.size() >= 204);

    // Ids without a word character are refused (they match nearly everything); the rest answer.
    const auto refused = std::erase_if(queries, [](const std::string& q) {
        std::size_t runs = 0;
        eh::index::for_each_word_run(q, [&](std::string_view) { ++runs; });
        return runs == 0;
    });
    CHECK(refused >= 4);
    CHECK_THROWS_AS(store.find_by_user(".*", codec), eh::InvalidQuery);
    std::size_t nonempty = 0;
    for (const auto& q : queries) {
        CAPTURE(q);
        auto expected = reference_scan(all, q);
        auto got = store.find_by_user(q, codec);
        REQUIRE(got.size() == expected.size());
        CHECK(got == expected);
        CHECK(saturating.find_by_user(q, codec) == expected);
        CHECK(deferred.find_by_user(q, codec) == expected);
        nonempty += !expected.empty();
    }
    CHECK(nonempty > 150); // the test exercises real answers, not just empty ones
    deferred.maintain();
    CHECK(deferred.queued() == 0);
    for (const auto& q : queries) {
        CAPTURE(q);
        CHECK(deferred.find_by_user(q, codec) == reference_scan(all, q));
    }
}
