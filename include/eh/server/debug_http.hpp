#pragma once
// The debug HTTP server (/healthz, /readyz, /metrics) and the tiny GET client behind
// `eventhistoryd health`. Dependency-free: POSIX sockets and poll on one thread of its own.
//
// Every socket is non-blocking and each connection has a deadline and a request-size bound,
// so a slow or hostile client neither starves the others nor delays stop(). HTTP/1.1 with
// `Connection: close`: one request per connection is all a probe or a scraper needs.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eh/config/address.hpp"

namespace eh::server {

namespace detail {

/// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

using Clock = std::chrono::steady_clock;

inline std::string errno_text(int err = errno) { return std::strerror(err); }

struct AddrinfoDeleter {
    void operator()(addrinfo* a) const noexcept { ::freeaddrinfo(a); }
};
using Addrinfo = std::unique_ptr<addrinfo, AddrinfoDeleter>;

/// Resolves "host:port" (an empty host: every interface, for listening). Throws naming it.
inline Addrinfo resolve(std::string_view address, bool listening) {
    const auto hp = config::parse_host_port(address);
    if (!hp) throw std::runtime_error(std::string(address) + ": not host:port");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (listening ? AI_PASSIVE : 0);
    addrinfo* found = nullptr;
    const std::string port = std::to_string(hp->port);
    if (int rc = ::getaddrinfo(hp->host.empty() ? nullptr : hp->host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error(std::string(address) + ": " + ::gai_strerror(rc));
    return Addrinfo(found);
}

/// Milliseconds left until `deadline` for poll(), at least 0.
inline int poll_ms(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<decltype(left)>(left, 0, 60'000));
}

/// Waits until fd is ready for `events` or the deadline passes; false on timeout.
inline bool wait_for(int fd, short events, Clock::time_point deadline) {
    pollfd p{fd, events, 0};
    int rc;
    while ((rc = ::poll(&p, 1, poll_ms(deadline))) < 0 && errno == EINTR) {
    }
    return rc > 0;
}

/// A non-blocking TCP connection to address, made within the deadline. Throws why not.
inline Fd connect_to(std::string_view address, Clock::time_point deadline) {
    std::string why = "no address";
    const Addrinfo addresses = resolve(address, false);
    for (const addrinfo* a = addresses.get(); a; a = a->ai_next) {
        Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (!fd) {
            why = errno_text();
            continue;
        }
        if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) return fd;
        if (errno != EINPROGRESS) {
            why = errno_text();
            continue;
        }
        if (!wait_for(fd.get(), POLLOUT, deadline))
            throw std::runtime_error(std::string(address) + ": connect timed out");
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) return fd;
        why = errno_text(err);
    }
    throw std::runtime_error(std::string(address) + ": " + why);
}

inline std::string_view status_reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

} // namespace detail

/// What the server asks the process. Both run on the server's thread: keep them quick.
struct DebugHandlers {
    std::function<std::string()> readiness; ///< "" when ready, else why not (503 with it as the body)
    std::function<std::string()> metrics;   ///< the Prometheus text for /metrics
};

struct DebugHttpOptions {
    std::size_t max_request_bytes = 8 * 1024; ///< a larger request head gets 431
    std::size_t max_connections = 64;         ///< more wait in the listen backlog
    std::chrono::milliseconds timeout{5'000}; ///< a connection's whole life: read, answer, write
};

class DebugHttpServer {
public:
    /// Listens on address ("127.0.0.1:9270"; port 0: any free port, see port()) and serves on
    /// its own thread until stop() or destruction. Throws std::runtime_error naming the address
    /// when it cannot listen.
    DebugHttpServer(std::string_view address, DebugHandlers handlers, DebugHttpOptions options = {})
        : handlers_(std::move(handlers)), options_(options) {
        std::string why = "no address";
        const detail::Addrinfo addresses = detail::resolve(address, true);
        for (const addrinfo* a = addresses.get(); a && !listener_; a = a->ai_next) {
            detail::Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
            const int on = 1;
            if (fd) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            if (fd && ::bind(fd.get(), a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd.get(), 64) == 0)
                listener_ = std::move(fd);
            else
                why = detail::errno_text();
        }
        if (!listener_) throw std::runtime_error("debug server: cannot listen on " + std::string(address) + ": " + why);
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &len);
        port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                                  : reinterpret_cast<sockaddr_in&>(bound).sin_port);
        wake_ = detail::Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!wake_) throw std::runtime_error("debug server: eventfd: " + detail::errno_text());
        thread_ = std::thread([this] { serve(); });
    }
    DebugHttpServer(const DebugHttpServer&) = delete;
    DebugHttpServer& operator=(const DebugHttpServer&) = delete;
    ~DebugHttpServer() { stop(); }

    /// The port listened on (the chosen one when the address said 0).
    std::uint16_t port() const noexcept { return port_; }

    /// Stops serving and joins the thread; open connections are dropped. Idempotent.
    void stop() {
        if (!thread_.joinable()) return;
        stopping_.store(true);
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
        thread_.join();
    }

private:
    enum class Phase { reading, writing, draining };
    struct Connection {
        detail::Fd fd;
        detail::Clock::time_point deadline;
        std::string in, out; // request head read so far; response not yet sent
        Phase phase = Phase::reading;
    };

    void serve() {
        std::list<Connection> connections;
        std::vector<pollfd> fds;
        while (!stopping_.load()) {
            fds.clear();
            fds.push_back({wake_.get(), POLLIN, 0});
            const auto now = detail::Clock::now();
            auto next_deadline = now + std::chrono::seconds(60);
            const bool paused = accept_paused_until_ > now;
            if (paused) next_deadline = accept_paused_until_;
            const bool accepting = !paused && connections.size() < options_.max_connections;
            fds.push_back({accepting ? listener_.get() : -1, POLLIN, 0}); // -1: poll skips it
            for (const auto& c : connections) {
                fds.push_back({c.fd.get(), static_cast<short>(c.phase == Phase::writing ? POLLOUT : POLLIN), 0});
                next_deadline = std::min(next_deadline, c.deadline);
            }
            if (::poll(fds.data(), fds.size(), detail::poll_ms(next_deadline)) < 0 && errno != EINTR) break;
            // Connections first: accepting adds to the list, which fds no longer matches.
            const auto polled = detail::Clock::now();
            std::size_t i = 2;
            for (auto it = connections.begin(); it != connections.end(); ++i) {
                const bool done = fds[i].revents ? step(*it) : polled >= it->deadline;
                it = done ? connections.erase(it) : std::next(it);
            }
            if (fds[1].revents & POLLIN) accept_into(connections);
        }
    }

    void accept_into(std::list<Connection>& connections) {
        while (connections.size() < options_.max_connections) {
            detail::Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd) {
                // Out of descriptors or memory: the pending connection keeps the listener readable,
                // so stop polling it for a moment instead of spinning.
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                    accept_paused_until_ = detail::Clock::now() + std::chrono::milliseconds(100);
                return; // else EAGAIN, or a connection that went away meanwhile
            }
            connections.push_back({std::move(fd), detail::Clock::now() + options_.timeout});
        }
    }

    /// Does what the connection is ready for; true when it is finished.
    bool step(Connection& c) {
        char buf[4096];
        const auto received = [&] { return ::recv(c.fd.get(), buf, sizeof buf, 0); };
        const auto failed = [](ssize_t n) { return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR); };
        switch (c.phase) {
        case Phase::reading: {
            const ssize_t n = received();
            if (failed(n)) return true;
            if (n > 0) c.in.append(buf, static_cast<std::size_t>(n));
            const auto end = c.in.find("\r\n\r\n");
            if (end == std::string::npos && c.in.size() <= options_.max_request_bytes) return false;
            c.out = end == std::string::npos || end > options_.max_request_bytes
                        ? response(431, "request too large\n")
                        : answer(std::string_view(c.in).substr(0, end));
            c.phase = Phase::writing;
            [[fallthrough]]; // the socket is most likely writable already
        }
        case Phase::writing: {
            const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n < 0) return errno != EAGAIN && errno != EINTR;
            c.out.erase(0, static_cast<std::size_t>(n));
            if (!c.out.empty()) return false;
            ::shutdown(c.fd.get(), SHUT_WR);
            c.phase = Phase::draining;
            return false;
        }
        case Phase::draining:
            // Read (and drop) until the client closes: closing with unread input would reset the
            // connection and could destroy the response before the client has read it.
            return failed(received());
        }
        return true;
    }

    /// The response to a request head ("GET /readyz HTTP/1.1\r\nHost: ...").
    std::string answer(std::string_view head) const {
        const std::string_view line = head.substr(0, head.find("\r\n"));
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        if (sp1 == std::string_view::npos || sp2 == sp1 || !line.substr(sp2 + 1).starts_with("HTTP/1."))
            return response(400, "bad request\n");
        const std::string_view method = line.substr(0, sp1);
        const std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string_view route = path.substr(0, path.find('?'));
        const bool head_only = method == "HEAD";
        if (method != "GET" && !head_only) return response(405, "method not allowed\n");
        try {
            if (route == "/healthz") return response(200, "ok\n", head_only);
            if (route == "/readyz") {
                const std::string reason = handlers_.readiness ? handlers_.readiness() : std::string();
                return reason.empty() ? response(200, "ready\n", head_only) : response(503, reason + "\n", head_only);
            }
            if (route == "/metrics")
                return response(200, handlers_.metrics ? handlers_.metrics() : std::string(), head_only,
                                "text/plain; version=0.0.4; charset=utf-8");
        } catch (const std::exception& e) {
            return response(500, std::string(e.what()) + "\n", head_only);
        } catch (...) { // a handler's failure must not end the server's thread
            return response(500, "handler failed\n", head_only);
        }
        return response(404, "not found\n", head_only);
    }

    static std::string response(int status, std::string_view body, bool head_only = false,
                                std::string_view content_type = "text/plain; charset=utf-8") {
        std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(detail::status_reason(status)) +
                          "\r\nContent-Type: " + std::string(content_type) +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        if (!head_only) out += body;
        return out;
    }

    DebugHandlers handlers_;
    DebugHttpOptions options_;
    detail::Fd listener_, wake_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    detail::Clock::time_point accept_paused_until_{}; // used by the server thread only
    std::thread thread_;
};

struct HttpResponse {
    int status = 0;
    std::string headers; ///< the header lines after the status line, as received
    std::string body;
};

/// GET http://<address><path>, all within `timeout`. Throws std::runtime_error naming the URL
/// when there is no answer (refused, timed out, not HTTP).
inline HttpResponse http_get(std::string_view address, std::string_view path, std::chrono::milliseconds timeout) {
    const auto deadline = detail::Clock::now() + timeout;
    const std::string url = "http://" + std::string(address) + std::string(path);
    auto fail = [&](const std::string& why) { return std::runtime_error(url + ": " + why); };
    detail::Fd fd;
    try {
        fd = detail::connect_to(address, deadline);
    } catch (const std::exception& e) {
        throw fail(e.what());
    }
    const std::string request =
        "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + std::string(address) + "\r\nConnection: close\r\n\r\n";
    for (std::size_t sent = 0; sent < request.size();) {
        if (!detail::wait_for(fd.get(), POLLOUT, deadline)) throw fail("timed out sending");
        const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) throw fail(detail::errno_text());
        sent += static_cast<std::size_t>(std::max<ssize_t>(n, 0));
    }
    std::string in;
    for (char buf[4096];;) { // the server closes after the response
        if (!detail::wait_for(fd.get(), POLLIN, deadline)) throw fail("timed out reading");
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0 && errno != EAGAIN && errno != EINTR) throw fail(detail::errno_text());
        if (n > 0) in.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 OK\r\n<headers>\r\n\r\n<body>"
    const auto line_end = in.find("\r\n"), head_end = in.find("\r\n\r\n");
    if (!in.starts_with("HTTP/1.") || in.size() < 12 || head_end == std::string::npos)
        throw fail("not an HTTP response");
    HttpResponse out;
    const std::string_view code = std::string_view(in).substr(9, 3);
    for (char c : code) {
        if (c < '0' || c > '9') throw fail("not an HTTP response");
        out.status = out.status * 10 + (c - '0');
    }
    out.headers = in.substr(line_end + 2, head_end - line_end - 2);
    out.body = in.substr(head_end + 4);
    return out;
}

} // namespace eh::server
