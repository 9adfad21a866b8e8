#pragma once
// A MULTI ... EXEC block queued on a pipelined connection. It counts what it queues, so that
// nobody keeps a reply count by hand: its replies are MULTI's +OK, a +QUEUED per command,
// then EXEC's array with one reply per queued command, in order.
#include <cstddef>

#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"

namespace eh::store::detail::redis {

class Transaction {
public:
    /// Appends MULTI.
    explicit Transaction(Connection& conn) : conn_(&conn) { conn_->append(Command("MULTI")); }

    /// Appends cmd inside the block; its reply is element queued() - 1 of EXEC's.
    Transaction& queue(const Command& cmd) {
        conn_->append(cmd);
        ++queued_;
        return *this;
    }
    /// Appends EXEC: the block is complete, read() takes its replies.
    void exec() { conn_->append(Command("EXEC")); }

    /// Commands queued so far (EXEC's array holds as many replies).
    std::size_t queued() const noexcept { return queued_; }

    /// Reads every reply of the block and returns EXEC's, or the first command Redis refused
    /// to queue (EXEC then fails, saying less). The connection is in step afterwards either way.
    Reply read() const {
        Reply refused;
        for (std::size_t i = 0; i < queued_ + 1; ++i) { // MULTI's +OK and each +QUEUED
            Reply r = conn_->read();
            if (!refused && r->type == REDIS_REPLY_ERROR) refused = std::move(r);
        }
        Reply exec = conn_->read();
        return refused ? std::move(refused) : std::move(exec);
    }

private:
    Connection* conn_;
    std::size_t queued_ = 0;
};

} // namespace eh::store::detail::redis
