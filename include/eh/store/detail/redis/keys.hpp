#pragma once
// Where the store's own data lives. The events are exactly ocis's records, key table + id in
// database 0; everything else is in the index database, under names with the table in them,
// so that stores with different tables can share one Redis (the bytes: postings.hpp):
//   eh:<table>:p:<k>:<end>  partition k of the index, for the batches whose events all expire by
//                           <end> (seconds since 1970, a multiple of the window width): a list,
//                           one blob per batch; the list expires at <end>, as a whole
//   eh:<table>:w            the windows' ends: a sorted set, score = member = <end>
//   eh:<table>:b:<number>   the events of batch <number> (16 digits): a list, per event its
//                           timestamp (µs, 16 digits) and id; empty for one it did not store
//   eh:<table>:seq          the last batch number taken; writers take blocks (batch_clock.hpp)
//   eh:<table>:backfill     how far the indexing of the records that existed before has come:
//                           a SCAN cursor, or "done" (backfill.hpp); eh:<table>:backfill:lease
//                           names the instance doing it
// Another table's names differ in what follows its prefix: `p:`, `b:`, `w` and `seq` never
// take one another's place, and only a batch list ends in `b:` and digits alone.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "eh/store/detail/redis/postings.hpp"

namespace eh::store::detail::redis {

/// ocis's database (go-redis' default); its SELECT number, as the scripts take it.
inline constexpr std::string_view events_db = "0";

class IndexKeys {
public:
    explicit IndexKeys(std::string_view table)
        : table_(table), prefix_("eh:" + table_ + ":"), batch_(prefix_ + "b:"), windows_(prefix_ + "w"),
          seq_(prefix_ + "seq") {
        for (std::size_t k = 0; k < partitions; ++k) partitions_.push_back(prefix_ + "p:" + std::to_string(k) + ":");
    }

    /// The prefix of the records' keys in database 0.
    const std::string& table() const noexcept { return table_; }
    /// Partition k's lists' names without their window's end.
    const std::string& partition(std::size_t k) const noexcept { return partitions_[k]; }
    const std::string& windows() const noexcept { return windows_; }
    /// The batch lists' names without their number.
    const std::string& batch() const noexcept { return batch_; }
    /// A SCAN pattern that matches every batch list (and maybe other names: check the digits).
    std::string batch_pattern() const { return glob_prefix(batch_); }
    /// A SCAN pattern that matches every record of the table in database 0.
    std::string table_pattern() const { return glob_prefix(table_); }
    const std::string& seq() const noexcept { return seq_; }
    std::string backfill() const { return prefix_ + "backfill"; }
    std::string backfill_lease() const { return prefix_ + "backfill:lease"; }

private:
    /// The glob of every name starting with prefix.
    static std::string glob_prefix(std::string_view prefix) {
        std::string glob;
        for (char c : prefix) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') glob += '\\';
            glob += c;
        }
        return glob + '*';
    }

    std::string table_, prefix_, batch_, windows_, seq_;
    std::vector<std::string> partitions_;
};

} // namespace eh::store::detail::redis
