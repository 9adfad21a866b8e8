#pragma once
// Where the store's own data lives. The events are exactly ocis's records, key table + id in
// database 0; everything else is in the index database, under names with the table in them,
// so that stores with different tables can share one Redis:
//   eh:<table>:t:<16 hex digits>   one sorted set per index token: member id, score timestamp (µs)
//   eh:<table>:all                 every event, the same way (candidates when no token helps)
//   eh:<table>:saturated           the token keys dropped from the index (see write_batch.hpp)
//   eh:<table>:seq                 a counter every batch increments (see write_batch.hpp)
// A token key ends in 16 hex digits and the others do not, so no two tables' names collide.
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/index/tokens.hpp"

namespace eh::store::detail::redis {

/// ocis's database (go-redis' default); its SELECT number, as the scripts take it.
inline constexpr std::string_view events_db = "0";

class IndexKeys {
public:
    explicit IndexKeys(std::string_view table)
        : table_(table), prefix_("eh:" + table_ + ":"), all_(prefix_ + "all"), saturated_(prefix_ + "saturated"),
          seq_(prefix_ + "seq") {}

    std::string token(index::Token t) const {
        static constexpr char digits[] = "0123456789abcdef";
        std::string key = prefix_ + "t:";
        for (int shift = 60; shift >= 0; shift -= 4) key += digits[(t >> shift) & 15];
        return key;
    }
    /// The prefix of the records' keys in database 0.
    const std::string& table() const noexcept { return table_; }
    const std::string& all() const noexcept { return all_; }
    const std::string& saturated() const noexcept { return saturated_; }
    const std::string& seq() const noexcept { return seq_; }

private:
    std::string table_, prefix_, all_, saturated_, seq_;
};

} // namespace eh::store::detail::redis
