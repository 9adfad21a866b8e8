#pragma once
// A blocking hiredis connection in which every socket operation has a timeout, and whose
// failures are eh::StoreError naming the peer. Commands may be pipelined: append() several,
// then read() their replies in order; the first read sends them all in one write.
#include <chrono>
#include <csignal>
#include <cstddef>
#include <string>
#include <string_view>
#include <sys/time.h>
#include <vector>

#include <hiredis/hiredis.h>

#include "eh/config/address.hpp"
#include "eh/error.hpp"
#include "eh/store/detail/redis/command.hpp"
#include "eh/store/detail/redis/handles.hpp"
#include "eh/store/detail/redis/reader_limit.hpp"

namespace eh::store::detail::redis {

struct Timeouts {
    std::chrono::milliseconds connect{1000};
    std::chrono::milliseconds command{5000}; ///< each read or write on the socket
};

inline std::string describe(const config::HostPort& at) {
    const bool v6 = at.host.find(':') != std::string::npos;
    return (v6 ? "[" + at.host + "]" : at.host) + ":" + std::to_string(at.port);
}

class Connection {
public:
    /// Connects within timeouts.connect; throws StoreError when the peer does not answer.
    static Connection open(const config::HostPort& at, Timeouts timeouts) {
        ignore_sigpipe();
        Connection c;
        c.peer_ = describe(at);
        c.ctx_.reset(redisConnectWithTimeout(at.host.c_str(), at.port, timeval_of(timeouts.connect)));
        if (!c.ctx_) throw StoreError("redis " + c.peer_ + ": cannot allocate a connection");
        if (c.ctx_->err) c.fail("cannot connect");
        limit_reader(c.ctx_->reader);
        if (redisSetTimeout(c.ctx_.get(), timeval_of(timeouts.command)) != REDIS_OK) c.fail("cannot set timeouts");
        return c;
    }

    /// Queues a command; nothing is sent until the next read().
    void append(const Command& cmd) {
        argv_.clear();
        lengths_.clear();
        for (std::size_t i = 0; i < cmd.size(); ++i) {
            argv_.push_back(cmd[i].data());
            lengths_.push_back(cmd[i].size());
        }
        if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv_.size()), argv_.data(), lengths_.data()) !=
            REDIS_OK)
            fail("cannot queue a command");
    }

    /// The next reply, error replies included; throws StoreError when the connection fails.
    Reply read() {
        void* raw = nullptr;
        if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) fail("no reply");
        return Reply(static_cast<redisReply*>(raw));
    }

    /// One command, one reply; an error reply throws StoreError prefixed with what.
    Reply call(const Command& cmd, std::string_view what) {
        append(cmd);
        return expect(read(), what);
    }

    /// r, unless it is an error reply: then StoreError prefixed with what.
    Reply expect(Reply r, std::string_view what) const {
        if (r->type == REDIS_REPLY_ERROR)
            throw StoreError("redis " + peer_ + ": " + std::string(what) + ": " + std::string(text(*r)));
        return r;
    }

    /// True once the socket failed: the connection must not be used again.
    bool broken() const noexcept { return !ctx_ || ctx_->err != 0; }
    const std::string& peer() const noexcept { return peer_; }

private:
    static timeval timeval_of(std::chrono::milliseconds d) {
        return {.tv_sec = static_cast<time_t>(d.count() / 1000), .tv_usec = static_cast<suseconds_t>(d.count() % 1000 * 1000)};
    }
    /// hiredis sends with write(2): a peer that died mid-batch would raise SIGPIPE and end the
    /// process. Ignored (unless the application installed its own handler), write fails with
    /// EPIPE instead, which becomes a StoreError.
    static void ignore_sigpipe() {
        static const bool once = [] {
            struct sigaction current {};
            if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
            return true;
        }();
        (void)once;
    }
    [[noreturn]] void fail(std::string_view what) const {
        std::string why = ctx_ && ctx_->err ? std::string(ctx_->errstr) : "unknown error";
        if (ctx_ && ctx_->err == REDIS_ERR_IO && (why.find("temporarily unavailable") != std::string::npos))
            why = "timed out";
        if (ctx_ && ctx_->err == REDIS_ERR_OOM) why = "a reply larger than this client accepts (reader_limit.hpp)";
        throw StoreError("redis " + peer_ + ": " + std::string(what) + ": " + why);
    }

    Context ctx_;
    std::string peer_;
    std::vector<const char*> argv_;
    std::vector<std::size_t> lengths_;
};

} // namespace eh::store::detail::redis
