#pragma once
// `eh-bench user`: GetEventsForUser latency of the memory store's index for users with ~50
// events, at growing store sizes, against the ocis algorithm on the same data: the regex
// \W<id>\W over every stored payload (RE2; ocis also reads and decodes each stored event
// first, so this scan is a lower bound of its cost).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/memory.hpp"
#include "latency.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

namespace detail {

/// Each event names about 1.67 distinct users (two picks, fewer for SpaceCreated and when both
/// picks are the same user; measured): this many users give each one about 50 events.
inline std::size_t users_for_50_events(std::size_t stored) { return std::max<std::size_t>(1, stored * 167 / 5000); }

/// Every stored payload, for the scan: in one buffer of their own, so that the copies do not
/// sit between the store's records in the heap (the daemon has no such copies; interleaved,
/// they doubled the address range the index's candidates are spread over).
struct Payloads {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> spans; ///< (offset, size) in text

    void add(std::string_view p) {
        spans.emplace_back(text.size(), p.size());
        text.append(p);
    }
};

inline std::size_t ocis_scan(const Payloads& payloads, const std::string& user) {
    const RE2 pattern("\\W" + RE2::QuoteMeta(user) + "\\W");
    std::size_t hits = 0;
    for (const auto& [at, size] : payloads.spans)
        hits += RE2::PartialMatch(std::string_view(payloads.text).substr(at, size), pattern) ? 1 : 0;
    return hits;
}

} // namespace detail

/// Measures one store size; throws when the index and the scan disagree on a user's events.
inline UserQueryPoint measure_user_queries(std::size_t stored, std::uint64_t seed) {
    const Workload w{.count = stored, .users = detail::users_for_50_events(stored), .seed = seed};
    auto gen = w.generator();
    eh::store::MemoryStore store;
    const eh::codec::OcisStoreEvent codec;
    detail::Payloads payloads; // what ocis would scan
    payloads.spans.reserve(stored);
    std::vector<eh::Event> batch;
    for (std::size_t i = 0; i < stored; ++i) {
        batch.push_back(gen.next().event);
        payloads.add(batch.back().payload);
        if (batch.size() == 1000 || i + 1 == stored) {
            store.put(batch, codec);
            batch.clear();
        }
    }
    store.index_queued_now(); // the index is built behind the writes: query it complete
    const auto& users = gen.users();
    const std::size_t sample = std::min<std::size_t>(users.size(), 500);
    // Per user, the best of a few rounds: on a shared machine a single call's time is mostly
    // whether it was preempted; the best shows what the query itself costs for that user, and
    // the percentiles over users show how that cost spreads with the size of the answer.
    std::vector<double> index_ms(sample, 1e300);
    std::size_t found = 0;
    for (int round = 0; round < 5; ++round)
        for (std::size_t u = 0; u < sample; ++u) {
            const auto t0 = Clock::now();
            const auto events = store.find_by_user(users[u], codec);
            index_ms[u] = std::min(index_ms[u], ms_since(t0));
            if (round == 0) found += events.size();
        }
    // The scan is slow by design: a few users, each checked against the index's answer.
    std::vector<double> scan_ms;
    for (std::size_t u = 0; u < std::min<std::size_t>(sample, 3); ++u) {
        const auto t0 = Clock::now();
        const std::size_t hits = detail::ocis_scan(payloads, users[u]);
        scan_ms.push_back(ms_since(t0));
        if (const auto indexed = store.find_by_user(users[u], codec).size(); indexed != hits)
            throw std::runtime_error("user " + users[u] + ": the index finds " + std::to_string(indexed) +
                                     " events, the ocis scan " + std::to_string(hits));
    }
    std::printf("  user queries at %zu events: %zu users, %.1f events per user on average\n", stored, users.size(),
                static_cast<double>(found) / static_cast<double>(sample));
    return {.stored = stored,
            .p50_ms = percentile(index_ms, 0.5),
            .p99_ms = percentile(index_ms, 0.99),
            .ocis_scan_ms = percentile(scan_ms, 0.5)};
}

inline void bench_user_queries(const std::vector<std::size_t>& sizes, std::uint64_t seed, Report& report) {
    std::vector<UserQueryPoint> points;
    for (std::size_t stored : sizes) {
        const UserQueryPoint p = measure_user_queries(stored, seed);
        const std::string at = " @" + std::to_string(stored);
        report.add({.figure = "user: p50" + at, .value = p.p50_ms, .unit = "ms", .reference = p.ocis_scan_ms,
                    .reference_name = "ocis scan p50"});
        report.add({.figure = "user: p99" + at, .value = p.p99_ms, .unit = "ms", .reference = p.ocis_scan_ms,
                    .reference_name = "ocis scan p50"});
        report.add_point(p);
        points.push_back(p);
    }
    if (points.size() < 2) return;
    const auto& small = points.front();
    const auto& large = points.back();
    const std::string at = " @" + std::to_string(large.stored);
    report.add({.figure = "user: p99" + at + " / p99 @" + std::to_string(small.stored),
                .value = large.p99_ms,
                .unit = "ms",
                .reference = small.p99_ms,
                .reference_name = "p99 @" + std::to_string(small.stored),
                .target = Target{1.5, false}});
    report.add({.figure = "user: p99" + at + " / ocis scan",
                .value = large.p99_ms,
                .unit = "ms",
                .reference = large.ocis_scan_ms,
                .reference_name = "ocis scan p50",
                .target = Target{0.001, false}});
}

} // namespace eh_bench
