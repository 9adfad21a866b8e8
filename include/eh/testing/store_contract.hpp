#pragma once
// The store conformance kit: the whole contract of eh::Store, run against any store type.
//
//   auto report = eh::testing::check_store_contract<MyStore>([] { return MyStore(...); });
//   INFO(report.text());
//   CHECK(report.ok());
//
// The factory returns a fresh, empty, ready store for each clause (a store on a server: a
// bucket, table or file of its own each time). A factory that also takes an
// eh::testing::ManualClock (`factory(clock)`) gets the clauses that move time: TTL and the
// expiry of future-dated events. The clauses:
//   round trip     put, then get: id, type and payload byte for byte; put counts them stored
//   get            request order, unknown ids skipped, an id asked twice answered twice
//   duplicates     an id stored once, within a batch and across batches (counted duplicates)
//   expired        an event whose TTL ended before it arrived is not stored (counted expired)
//   bad ids        ids that cannot be keys: get skips them; put stores or refuses (StoreRefusal)
//   user queries   find_by_user equals the reference scan (eh/index/match.hpp) on generated
//                  events, for every user, exotic ids included; answers in order_user_answer()'s order
//   bad user ids   empty, punctuation only, beyond the limits: InvalidQuery before any work
//   concurrency    put from one thread while two others query: every answer is a stored event
//   ttl, future    (with a clock) alive until the TTL ends, then gone; a future-dated event
//                  lives TTL from its write
// A store that keeps nothing (noop) passes `ContractOptions{.keeps_events = false}`: puts
// accepted, every query answered with nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <exception>
#include <latch>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "eh/clock.hpp"
#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/detail/chunks.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/index/match.hpp"
#include "eh/store/answer.hpp"
#include "eh/testing/generator.hpp"
#include "eh/testing/manual_clock.hpp"

namespace eh::testing {

struct ContractOptions {
    /// false for a store that keeps nothing (noop): queries must answer nothing.
    bool keeps_events = true;
    /// The stores' TTL, as the factory configures them (the expiry clauses need it); at least
    /// 3 hours: the clauses date their events an hour back.
    std::chrono::nanoseconds ttl = std::chrono::hours{336};
    /// Events of the user-query and concurrency clauses.
    std::size_t events = 2000;
    std::size_t batch = 128;
    std::uint64_t seed = 7;
};

/// What failed, one line per broken promise; ok() when nothing did.
struct ContractReport {
    std::vector<std::string> clauses; ///< the clauses run
    std::vector<std::string> failures;

    bool ok() const noexcept { return !clauses.empty() && failures.empty(); }
    std::string text() const {
        std::string out = std::to_string(clauses.size()) + " clauses run, " + std::to_string(failures.size()) + " failed";
        for (const auto& f : failures) out += "\n  " + f;
        return out;
    }
};

namespace contract {

template <class Store, class Codec>
class ContractRun {
public:
    ContractRun(ContractOptions options, ContractReport& report) : options_(options), report_(report) {}

    /// Runs clause (name, body(Store&)) on a fresh store; an exception fails it with its text.
    template <class Make, class Body>
    void clause(std::string name, Make&& make, Body&& body) {
        report_.clauses.push_back(name);
        name_ = std::move(name);
        try {
            auto store = make();
            body(store);
        } catch (const std::exception& e) {
            fail(std::string("threw: ") + e.what());
        }
    }

    void expect(bool ok, const std::string& what) {
        if (!ok) fail(what);
    }

    /// `n` events as ocis publishes them, dated from an hour ago, users with exotic ids too.
    std::vector<Event> events(std::size_t n, Timestamp now, std::vector<std::string>* users = nullptr) const {
        EventGenerator gen({.seed = options_.seed,
                            .users = 50,
                            .exotic_user_ids = true,
                            .start = now - std::chrono::hours{1},
                            .step = std::chrono::milliseconds{1}});
        std::vector<Event> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(gen.next().event);
        if (users) *users = gen.users();
        return out;
    }

    PutStats put_all(Store& store, std::span<const Event> events) const {
        PutStats total;
        for (const auto batch : eh::detail::chunks(events, options_.batch)) total += store.put(batch, codec_);
        return total;
    }

    /// The stored form of e matches it: id, type and payload byte for byte.
    static bool same(const Event& stored, const Event& e) {
        return stored.id == e.id && stored.type == e.type && stored.payload == e.payload;
    }

    /// found holds exactly want's events (by id, type, payload), in any order.
    static bool same_set(const std::vector<Event>& found, std::vector<const Event*> want) {
        if (found.size() != want.size()) return false;
        std::sort(want.begin(), want.end(), [](const Event* a, const Event* b) { return a->id < b->id; });
        std::vector<const Event*> got;
        for (const auto& e : found) got.push_back(&e);
        std::sort(got.begin(), got.end(), [](const Event* a, const Event* b) { return a->id < b->id; });
        for (std::size_t i = 0; i < got.size(); ++i)
            if (!same(*got[i], *want[i])) return false;
        return true;
    }

    static bool in_answer_order(const std::vector<Event>& found) {
        return std::is_sorted(found.begin(), found.end(), store::before_in_user_answer);
    }

    static std::vector<std::string> ids_of(const std::vector<Event>& events) {
        std::vector<std::string> ids;
        for (const auto& e : events) ids.push_back(e.id);
        return ids;
    }

    const Codec& codec() const noexcept { return codec_; }
    const ContractOptions& options() const noexcept { return options_; }

private:
    void fail(const std::string& what) { report_.failures.push_back(name_ + ": " + what); }

    ContractOptions options_;
    ContractReport& report_;
    Codec codec_{};
    std::string name_;
};

/// Ids no store can hold as keys: skipped by get, stored or refused by put.
inline std::vector<std::string> hostile_ids() {
    return {"", " ", "a b", "../../etc", "*", ">", "id\n", std::string("\xff\xfe", 2), std::string(4096, 'x'),
            std::string("nul\0id", 6)};
}

template <class Store, class Codec, class Make>
void check_queries_answer_nothing(ContractRun<Store, Codec>& run, Make&& make, Timestamp now) {
    run.clause("noop", make, [&](Store& store) {
        std::vector<std::string> users;
        const auto events = run.events(200, now, &users);
        run.put_all(store, events);
        const auto ids = run.ids_of(events);
        run.expect(store.get(ids, run.codec()).empty(), "get answered events it does not keep");
        run.expect(store.find_by_user(users[0], run.codec()).empty(), "find_by_user answered events it does not keep");
    });
}

template <class Store, class Codec, class Make>
void check_reads(ContractRun<Store, Codec>& run, Make&& make, Timestamp now) {
    const auto& codec = run.codec();
    run.clause("round trip", make, [&](Store& store) {
        const auto events = run.events(300, now);
        const PutStats stats = run.put_all(store, events);
        run.expect(stats.stored == events.size(), "put counted " + std::to_string(stats.stored) + " of " +
                                                      std::to_string(events.size()) + " events stored");
        for (const auto& e : events) {
            const auto found = store.get(std::vector<std::string>{e.id}, codec);
            if (found.size() != 1 || !run.same(found[0], e)) {
                run.expect(false, "get(" + e.id + ") does not give back the event put");
                return;
            }
        }
    });
    run.clause("get", make, [&](Store& store) {
        const auto events = run.events(50, now);
        run.put_all(store, events);
        // Known ids backwards, unknown ones between them, one id twice.
        std::vector<std::string> ids;
        std::vector<const Event*> want;
        for (auto e = events.rbegin(); e != events.rend(); ++e) {
            ids.push_back(e->id);
            want.push_back(&*e);
            ids.push_back("unknown-" + e->id);
        }
        ids.push_back(events[0].id);
        want.push_back(&events[0]);
        const auto found = store.get(ids, codec);
        bool ordered = found.size() == want.size();
        for (std::size_t i = 0; ordered && i < found.size(); ++i) ordered = run.same(found[i], *want[i]);
        run.expect(ordered, "get answered " + std::to_string(found.size()) + " events for " +
                                std::to_string(want.size()) + " known ids, or not in request order");
        run.expect(store.get(std::vector<std::string>{}, codec).empty(), "get of no ids answered events");
    });
    run.clause("duplicates", make, [&](Store& store) {
        auto events = run.events(40, now);
        events.push_back(events[3]); // within one batch
        const PutStats first = store.put(events, codec);
        run.expect(first.stored == 40 && first.duplicates == 1,
                   "a batch with one id twice: stored " + std::to_string(first.stored) + ", duplicates " +
                       std::to_string(first.duplicates) + " (want 40, 1)");
        Event changed = events[5];
        changed.payload = R"({"changed":true})";
        const PutStats again = store.put(std::vector<Event>{events[0], changed}, codec);
        run.expect(again.stored == 0 && again.duplicates == 2, "ids stored before were stored again");
        const auto found = store.get(std::vector<std::string>{events[5].id}, codec);
        run.expect(found.size() == 1 && run.same(found[0], events[5]), "a redelivery replaced the first event");
    });
    run.clause("expired", make, [&](Store& store) {
        auto events = run.events(2, now);
        events[1].timestamp = now - run.options().ttl - std::chrono::hours{1};
        const PutStats stats = store.put(events, codec);
        run.expect(stats.stored == 1 && stats.expired == 1, "an event past its TTL on arrival was stored or not "
                                                            "counted expired");
        run.expect(store.get(std::vector<std::string>{events[0].id, events[1].id}, codec).size() == 1,
                   "an event past its TTL on arrival is found");
    });
    run.clause("bad ids", make, [&](Store& store) {
        const auto ids = hostile_ids();
        run.expect(store.get(ids, codec).empty(), "get of ids never stored answered events");
        auto events = run.events(ids.size(), now);
        for (std::size_t i = 0; i < events.size(); ++i) {
            events[i].id = ids[i];
            try {
                if (store.put(std::span(events).subspan(i, 1), codec).stored != 1)
                    run.expect(false, "an event with an unusual id was neither stored nor refused (StoreRefusal)");
                else
                    run.expect(store.get(std::vector<std::string>{events[i].id}, codec).size() == 1,
                               "an event stored under an unusual id is not found by it");
            } catch (const StoreRefusal&) {
                // a store may refuse an id it cannot hold: the ingest loop terminates that event
            }
        }
    });
}

template <class Store, class Codec, class Make>
void check_user_queries(ContractRun<Store, Codec>& run, Make&& make, Timestamp now) {
    const auto& codec = run.codec();
    run.clause("user queries", make, [&](Store& store) {
        std::vector<std::string> users;
        const auto events = run.events(run.options().events, now, &users);
        run.put_all(store, events);
        users.push_back("nobody-has-this-id");
        std::size_t refused = 0;
        for (const auto& user : users) {
            std::vector<const Event*> want;
            for (const auto& e : events)
                if (index::contains_bounded(e.payload, user)) want.push_back(&e);
            std::vector<Event> found;
            try {
                found = store.find_by_user(user, codec);
            } catch (const AnswerTooLarge&) {
                ++refused; // beyond the store's answer limits: a refusal, not a wrong answer
                continue;
            }
            if (!run.same_set(found, want)) {
                run.expect(false, "find_by_user(\"" + user + "\") found " + std::to_string(found.size()) +
                                      " events, the reference scan " + std::to_string(want.size()));
                return;
            }
            if (!run.in_answer_order(found)) {
                run.expect(false, "find_by_user(\"" + user + "\") is not ordered by timestamp, then id");
                return;
            }
        }
        // A user has tens of events here: far within any sensible limit.
        run.expect(refused == 0, std::to_string(refused) + " of " + std::to_string(users.size()) +
                                     " user queries were refused as too large (AnswerTooLarge)");
    });
    run.clause("bad user ids", make, [&](Store& store) {
        for (const std::string user : {std::string(), std::string(":"), std::string(" .-"), std::string(4096, 'u')}) {
            try {
                store.find_by_user(user, codec);
                run.expect(false, "find_by_user of a " + std::to_string(user.size()) + "-byte id of no use was answered");
            } catch (const InvalidQuery&) {
            }
        }
    });
}

template <class Store, class Codec, class Make>
void check_concurrency(ContractRun<Store, Codec>& run, Make&& make, Timestamp now) {
    const auto& codec = run.codec();
    run.clause("concurrency", make, [&](Store& store) {
        std::vector<std::string> users;
        const auto events = run.events(run.options().events, now, &users);
        const auto ids = run.ids_of(events);
        std::atomic<bool> writing{true};
        std::atomic<std::size_t> wrong{0}, errors{0};
        // Each reader has answered a query before the second half is written, so the clause
        // never passes without queries between writes, however the threads are scheduled.
        std::latch queried(2);
        auto reader = [&](std::size_t k) {
            bool first = true;
            for (std::size_t i = k; writing; i += 7) {
                try {
                    const auto& e = events[i % events.size()];
                    for (const auto& f : store.get(std::span(ids).subspan(i % ids.size(), 1), codec))
                        wrong += !run.same(f, e);
                    for (const auto& f : store.find_by_user(users[i % users.size()], codec))
                        wrong += !index::contains_bounded(f.payload, users[i % users.size()]);
                } catch (const AnswerTooLarge&) {
                } catch (const std::exception&) {
                    ++errors;
                }
                if (std::exchange(first, false)) queried.count_down();
            }
        };
        {
            std::jthread a(reader, 0), b(reader, 3);
            struct StopReaders { // also when put() throws: the readers must end for the join
                std::atomic<bool>& writing;
                ~StopReaders() { writing = false; }
            } stop{writing};
            const std::span all(events);
            run.put_all(store, all.first(all.size() / 2));
            queried.wait();
            run.put_all(store, all.subspan(all.size() / 2));
        }
        run.expect(wrong == 0, std::to_string(wrong.load()) + " answers during put held an event that was not asked for");
        run.expect(errors == 0, std::to_string(errors.load()) + " queries during put threw");
        run.expect(store.get(ids, codec).size() == ids.size(), "not every event put concurrently with queries is found");
    });
}

template <class Store, class Codec, class Make>
void check_expiry(ContractRun<Store, Codec>& run, Make&& make_with_clock) {
    const auto& codec = run.codec();
    const auto ttl = run.options().ttl;
    ManualClock clock;
    auto make = [&] { return make_with_clock(clock); };
    run.clause("ttl", make, [&](Store& store) {
        std::vector<std::string> users;
        auto events = run.events(20, clock.now(), &users);
        run.put_all(store, events);
        // Dated an hour ago: each lives until an hour before TTL from now.
        clock.advance(ttl - std::chrono::hours{1} - std::chrono::minutes{1});
        run.expect(store.get(std::vector<std::string>{events[0].id}, codec).size() == 1,
                   "an event is gone before its TTL ended");
        clock.advance(std::chrono::hours{2});
        const auto ids = run.ids_of(events);
        run.expect(store.get(ids, codec).empty(), "an event is found after its TTL ended");
        for (const auto& user : users)
            if (!store.find_by_user(user, codec).empty()) {
                run.expect(false, "find_by_user found an event after its TTL ended");
                break;
            }
    });
    run.clause("future", make, [&](Store& store) {
        auto events = run.events(1, clock.now());
        events[0].timestamp = clock.now() + std::chrono::hours{24 * 365 * 100};
        run.expect(store.put(events, codec).stored == 1, "a future-dated event was not stored");
        clock.advance(ttl - std::chrono::minutes{1});
        run.expect(store.get(std::vector<std::string>{events[0].id}, codec).size() == 1,
                   "a future-dated event is gone before TTL after its write");
        clock.advance(std::chrono::minutes{2});
        run.expect(store.get(std::vector<std::string>{events[0].id}, codec).empty(),
                   "a future-dated event lives longer than TTL after its write");
    });
}

} // namespace contract

/// Runs the store contract (see the top of this file) against the stores make() returns.
template <class Store, class Codec = codec::OcisStoreEvent, class Make>
ContractReport check_store_contract(Make&& make, ContractOptions options = {}) {
    static_assert(eh::detail::check_store<Store, Codec>());
    ContractReport report;
    if (options.ttl < std::chrono::hours{3}) {
        report.failures.push_back("ContractOptions::ttl must be at least 3 hours (events are dated an hour back)");
        return report;
    }
    contract::ContractRun<Store, Codec> run(options, report);
    const Timestamp now = SystemClock{}.now();
    auto clauses = [&](auto&& fresh) {
        if (!options.keeps_events) return contract::check_queries_answer_nothing(run, fresh, now);
        contract::check_reads(run, fresh, now);
        contract::check_user_queries(run, fresh, now);
        contract::check_concurrency(run, fresh, now);
    };
    if constexpr (std::invocable<Make&, ManualClock&>) {
        ManualClock clock(now); // still: the clauses above do not move time
        clauses([&] { return make(clock); });
        if (options.keeps_events) contract::check_expiry(run, make);
    } else {
        clauses(make);
    }
    return report;
}

} // namespace eh::testing
