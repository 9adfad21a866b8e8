#pragma once
// `eh-bench memory`: resident bytes per stored event in the memory store, index included,
// against the payload bytes. Run it first in a process: memory freed earlier and kept by the
// allocator would hide part of the growth.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <malloc.h>
#include <unistd.h>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/memory.hpp"
#include "report.hpp"
#include "workload.hpp"

namespace eh_bench {

inline std::size_t resident_bytes() {
    long pages_total = 0, pages_resident = 0;
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr || std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        throw std::runtime_error("cannot read /proc/self/statm");
    std::fclose(f);
    return static_cast<std::size_t>(pages_resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

inline void bench_memory(const Workload& w, Report& report) {
    constexpr std::size_t chunk = 1000; // events in flight at once: ~1 MB, small against the store
    auto gen = w.generator();
    eh::store::MemoryStore store;
    const eh::codec::OcisStoreEvent codec;
    std::vector<eh::Event> batch;
    batch.reserve(chunk);
    std::size_t payload = 0;
    malloc_trim(0);
    const std::size_t before = resident_bytes();
    for (std::size_t i = 0; i < w.count; ++i) {
        batch.push_back(gen.next().event);
        payload += batch.back().payload.size();
        if (batch.size() == chunk || i + 1 == w.count) {
            store.put(batch, codec);
            batch.clear();
        }
    }
    store.index_queued_now(); // the index is built behind the writes: count it whole
    const std::size_t after = resident_bytes();
    if (store.size() != w.count)
        throw std::runtime_error("memory store holds " + std::to_string(store.size()) + " of " +
                                 std::to_string(w.count) + " events");
    const double n = static_cast<double>(w.count);
    const double per_event = static_cast<double>(after - before) / n;
    const double payload_per_event = static_cast<double>(payload) / n;
    const std::string at = " (" + std::to_string(w.count) + " events)";
    report.add({.figure = "memory: payload per event" + at, .value = payload_per_event, .unit = "B"});
    report.add({.figure = "memory: RSS per stored event" + at,
                .value = per_event,
                .unit = "B",
                .reference = 2 * payload_per_event + 300,
                .reference_name = "2 x payload + 300",
                .target = Target{1.0, false}});
    // What max_bytes counts (store.bytes(): text, slots, id/expiry and index entries) against
    // what the process really grew by: the bound must not undercount by much.
    report.add({.figure = "memory: bytes the store counts per event" + at,
                .value = static_cast<double>(store.bytes()) / n,
                .unit = "B",
                .reference = per_event,
                .reference_name = "RSS per stored event"});
    report.add({.figure = "memory: RSS per stored event vs ocis",
                .value = per_event,
                .unit = "B",
                .reference = 3072,
                .reference_name = "ocis (Go), measured earlier"});
}

} // namespace eh_bench
