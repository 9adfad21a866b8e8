#pragma once
// The Sentinel client algorithm (the Redis "sentinel clients" document): ask each sentinel in
// turn, with a short timeout, for the master's address; move the one that answered to the
// front; connect to that address, authenticate, and accept it only if ROLE says master.
// Nothing is cached beyond one connection: every new connection asks the sentinels again,
// so an error, a timeout or a closed connection always leads to a fresh resolution.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>


#include "eh/error.hpp"
#include "eh/log.hpp"
#include "eh/store/detail/redis/batch_clock.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/connection.hpp"
#include "eh/store/detail/redis/nodes.hpp"
#include "eh/store/detail/redis/replies.hpp"

namespace eh::store::detail::redis {

struct Credentials {
    std::string username, password; ///< AUTH [username] password, when password is set
};

/// A connection to the master, and how many replicas the master reported on it (ROLE).
struct MasterLink {
    Connection conn;
    std::size_t replicas = 0;
    BatchClock batches; ///< names the batches written on conn
};

class Sentinels {
public:
    Sentinels(SentinelNodes nodes, std::chrono::milliseconds timeout) : nodes_(std::move(nodes)), timeout_(timeout) {}

    const std::string& master_name() const noexcept { return nodes_.master; }

    /// The master's address as the first answering sentinel knows it.
    config::HostPort master_address() {
        std::lock_guard lock(mutex_);
        std::string why;
        for (std::size_t i = 0; i < nodes_.sentinels.size(); ++i) {
            try {
                auto at = ask(nodes_.sentinels[i]);
                std::rotate(nodes_.sentinels.begin(), nodes_.sentinels.begin() + static_cast<std::ptrdiff_t>(i),
                            nodes_.sentinels.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                if (auto now = describe(at); now != last_) {
                    eh::logger()->info("redis-sentinel: master \"{}\" is at {}", nodes_.master, now);
                    last_ = std::move(now);
                }
                return at;
            } catch (const StoreError& e) {
                why.append(why.empty() ? "" : "; ").append(e.what());
            }
        }
        throw StoreError("redis-sentinel: no sentinel gave the address of master \"" + nodes_.master + "\": " + why);
    }

    /// Resolves, connects, authenticates and checks ROLE: a link to the master, or StoreError.
    MasterLink connect_master(const Credentials& credentials, Timeouts timeouts) {
        MasterLink link{Connection::open(master_address(), timeouts)};
        if (!credentials.password.empty()) {
            Command auth("AUTH");
            if (!credentials.username.empty()) auth.add(credentials.username);
            link.conn.call(auth.add(credentials.password), "AUTH");
        }
        link.replicas = replicas_in_role(*link.conn.call(Command("ROLE"), "ROLE"), link.conn.peer());
        return link;
    }

private:
    config::HostPort ask(const config::HostPort& sentinel) const {
        Connection conn = Connection::open(sentinel, {.connect = timeout_, .command = timeout_});
        Reply r = conn.call(Command("SENTINEL", "get-master-addr-by-name", nodes_.master), "SENTINEL get-master-addr-by-name");
        return parse_master_address(*r, conn.peer(), nodes_.master);
    }

    std::mutex mutex_; // one resolution at a time: they reorder the list
    SentinelNodes nodes_;
    std::chrono::milliseconds timeout_;
    std::string last_; // the last address logged
};

} // namespace eh::store::detail::redis
