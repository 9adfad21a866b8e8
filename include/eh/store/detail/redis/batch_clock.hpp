#pragma once
// What names a batch's index lists, without a round trip per batch: its number, unique among
// all writers (INCRBY reserves a block of them), and Redis' clock in seconds (TIME, carried
// forward on the local steady clock). Both come in one round trip, at most once a second or per
// block. A connection has its own: a new connection (a failover, say) starts afresh, and
// the WAIT of its first batch also covers the reservation.
#include <chrono>
#include <cstdint>
#include <string>

#include <hiredis/hiredis.h>

#include "eh/error.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"
#include "eh/store/detail/redis/replies.hpp"

namespace eh::store::detail::redis {

class BatchClock {
public:
    static constexpr std::int64_t block = 64;                   ///< numbers reserved at once
    static constexpr std::chrono::seconds refresh_every{1}; ///< how long Redis' clock is extrapolated

    struct Stamp {
        std::int64_t number; ///< the batch's number
        std::int64_t now;    ///< Redis' clock, whole seconds (rounded down)
    };

    /// The next batch's stamp; asks Redis when the block is used up or the offset is old.
    Stamp next(Connection& conn, const std::string& seq_key, int index_db, std::string_view events_db) {
        const auto steady = std::chrono::steady_clock::now();
        if (next_ == end_ || steady - refreshed_ >= refresh_every) refresh(conn, seq_key, index_db, events_db);
        // Extrapolated on the steady clock: a step of the system clock does not move it.
        const auto since = std::chrono::duration_cast<std::chrono::microseconds>(steady - refreshed_).count();
        return {next_++, (redis_micros_ + since) / 1'000'000};
    }

private:
    void refresh(Connection& conn, const std::string& seq_key, int index_db, std::string_view events_db) {
        const auto sent = std::chrono::steady_clock::now();
        conn.append(Command("SELECT", index_db));
        conn.append(Command("INCRBY", seq_key, block));
        conn.append(Command("SELECT", events_db));
        conn.append(Command("TIME"));
        Reply replies[4];
        for (auto& r : replies) r = conn.read();
        for (auto& r : replies) r = conn.expect(std::move(r), "reserving batch numbers");
        const auto received = std::chrono::steady_clock::now();
        const auto time = time_micros(*replies[3]);
        if (replies[1]->type != REDIS_REPLY_INTEGER || !time)
            throw StoreError("redis " + conn.peer() + ": unexpected reply to INCRBY/TIME");
        redis_micros_ = *time;
        refreshed_ = sent + (received - sent) / 2; // TIME ran about halfway
        end_ = replies[1]->integer + 1;
        next_ = end_ - block;
    }

    std::int64_t next_ = 0, end_ = 0; ///< the numbers [next_, end_) are this connection's
    std::int64_t redis_micros_ = 0;   ///< Redis' clock at refreshed_, µs
    std::chrono::steady_clock::time_point refreshed_{};
};

} // namespace eh::store::detail::redis
