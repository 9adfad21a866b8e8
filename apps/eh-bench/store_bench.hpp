#pragma once
// A shared store in `eh-bench ingest`: the daemon's flags to write to it, and the second
// ceiling stores are measured against (docs/performance.md: consume + ack + the raw store
// write of the same bytes with nothing else). Every run writes to a place of its own, so
// that no run sees another's records as duplicates.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eh_bench {

class StoreBench {
public:
    virtual ~StoreBench() = default;
    /// "consume + <store> write", as the report names the ceiling.
    virtual std::string ceiling_name() const = 0;
    /// The daemon's store flags for run (a unique name): the store's nodes, an empty database.
    virtual std::vector<std::string> daemon_flags(const std::string& run) = 0;
    /// The ceiling on the workload's stream at endpoint, in messages per second: fetch a
    /// batch, write the records the store would write for it (prepared beforehand), wait
    /// until they are as durable as the store's put() makes them, ack each message.
    virtual double ceiling(const std::string& endpoint, std::size_t count, int batch, const std::string& run) = 0;
    /// The records the daemon's run left in its database: the workload's, once each.
    virtual std::size_t records(const std::string& run) = 0;
    /// Removes what the daemon wrote in run.
    virtual void drop(const std::string& run) = 0;
};

} // namespace eh_bench
