#pragma once
// The events every section works on: the tests' generator, timestamps ending now (so none is
// older than the store's TTL), the same ids for the same seed and count in every run (so
// `eh-bench get --target` can ask a daemon fed by `eh-bench publish` for ids it holds).
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "eh/clock.hpp"
#include "eh/testing/generator.hpp"

namespace eh_bench {

struct Workload {
    std::size_t count = 100'000;
    std::size_t users = 1'000;
    std::uint64_t seed = 1;

    eh::testing::EventGenerator generator() const {
        constexpr auto step = std::chrono::microseconds{100};
        return eh::testing::EventGenerator(
            {.seed = seed, .users = users, .start = eh::SystemClock{}.now() - step * count, .step = step});
    }

    /// "event <id> <type>" per event, then "user <id>" per user: what a demo asks the daemon for.
    void list(std::ostream& out) const {
        auto gen = generator();
        for (std::size_t i = 0; i < count; ++i) {
            const auto g = gen.next();
            out << "event " << g.event.id << ' ' << g.event.type << '\n';
        }
        for (const auto& u : gen.users()) out << "user " << u << '\n';
    }

    std::vector<eh::testing::GeneratedEvent> events() const {
        auto gen = generator();
        std::vector<eh::testing::GeneratedEvent> out;
        out.reserve(count);
        for (std::size_t i = 0; i < count; ++i) out.push_back(gen.next());
        return out;
    }
};

} // namespace eh_bench
