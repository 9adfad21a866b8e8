#pragma once
// The debug HTTP server (/healthz, /readyz, /metrics: debug_routes.hpp) on Boost.Beast over
// Asio, on one thread of its own, and the GET client behind `eventhistoryd health`.
//
// A hostile client must not delay a probe. Each connection lives at most `timeout` in all
// (read, answer, write: Beast's stream timeouts), its request head is bounded (Beast's parser
// limit), and it is closed once answered: nothing more is read from it. At max_connections a
// new connection evicts the oldest one still waiting for its request, so idle connections
// cannot crowd out a probe, which sends its request at once.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "eh/config/address.hpp"
#include "eh/server/debug_routes.hpp"

namespace eh::server {

namespace detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

/// The endpoints of "host:port" (an empty host: every interface, for listening). Throws
/// naming the address.
inline tcp::resolver::results_type resolve(asio::io_context& io, std::string_view address, bool listening) {
    const auto hp = config::parse_host_port(address);
    if (!hp) throw std::runtime_error(std::string(address) + ": not host:port");
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto flags = tcp::resolver::numeric_service;
    if (listening) flags |= tcp::resolver::passive;
    auto found = resolver.resolve(hp->host.empty() && listening ? "0.0.0.0" : hp->host, std::to_string(hp->port), flags, ec);
    if (ec) throw std::runtime_error(std::string(address) + ": " + ec.message());
    return found;
}
} // namespace detail

struct DebugHttpOptions {
    std::size_t max_request_bytes = 8 * 1024; ///< a larger request head gets 431
    std::size_t max_connections = 64;         ///< more: the oldest one still waiting for its request goes
    std::chrono::milliseconds timeout{5'000}; ///< a connection's whole life: read, answer, write
    std::string token;                        ///< when set, /metrics needs it as a bearer token
};

class DebugHttpServer {
public:
    /// Listens on address ("127.0.0.1:9270"; port 0: any free port, see port()) and serves on
    /// its own thread until stop() or destruction. Throws std::runtime_error naming the address
    /// when it cannot listen.
    DebugHttpServer(std::string_view address, DebugHandlers handlers, DebugHttpOptions options = {})
        : handlers_(std::move(handlers)), options_(std::move(options)) {
        std::string why = "no address";
        for (const auto& entry : detail::resolve(io_, address, true)) {
            boost::system::error_code ec;
            detail::tcp::acceptor acceptor(io_);
            if (!acceptor.open(entry.endpoint().protocol(), ec) &&
                !acceptor.set_option(detail::asio::socket_base::reuse_address(true), ec) &&
                !acceptor.bind(entry.endpoint(), ec) && !acceptor.listen(detail::asio::socket_base::max_listen_connections, ec)) {
                acceptor_ = std::move(acceptor);
                break;
            }
            why = ec.message();
        }
        if (!acceptor_.is_open()) throw std::runtime_error("debug server: cannot listen on " + std::string(address) + ": " + why);
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    DebugHttpServer(const DebugHttpServer&) = delete;
    DebugHttpServer& operator=(const DebugHttpServer&) = delete;
    ~DebugHttpServer() { stop(); }

    /// The port listened on (the chosen one when the address said 0).
    std::uint16_t port() const noexcept { return port_; }

    /// Stops serving and joins the thread; open connections are dropped. Idempotent.
    void stop() {
        if (!thread_.joinable()) return;
        io_.stop();
        thread_.join();
    }

private:
    class Session : public std::enable_shared_from_this<Session> {
    public:
        Session(DebugHttpServer& server, detail::tcp::socket socket)
            : server_(server), stream_(std::move(socket)), buffer_(2 * server.options_.max_request_bytes) {
            place_ = server_.sessions_.insert(server_.sessions_.end(), this);
        }
        ~Session() { server_.sessions_.erase(place_); }

        void start() {
            stream_.expires_after(server_.options_.timeout); // the whole life, not per read
            parser_.header_limit(static_cast<std::uint32_t>(server_.options_.max_request_bytes));
            parser_.body_limit(server_.options_.max_request_bytes);
            http::async_read(stream_, buffer_, parser_,
                             [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
        }
        bool reading() const noexcept { return reading_; }
        void close() noexcept {
            boost::system::error_code ignored;
            stream_.socket().close(ignored); // its handler ends it
        }

    private:
        void on_read(boost::system::error_code ec) {
            reading_ = false;
            if (ec == http::error::header_limit)
                respond(detail::reply(http::status::request_header_fields_too_large, "request too large\n"));
            else if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
                respond(detail::reply(http::status::payload_too_large, "request too large\n"));
            else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message)
                respond(detail::reply(http::status::bad_request, "bad request\n")); // not HTTP
            else if (!ec)
                respond(debug_response(parser_.get(), server_.handlers_, server_.options_.token));
            // else: closed, reset or timed out: nothing to answer
        }
        void respond(DebugResponse response) {
            response_ = std::move(response);
            http::async_write(stream_, response_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (ec) return;
                boost::system::error_code ignored;
                self->stream_.socket().shutdown(detail::tcp::socket::shutdown_send, ignored);
            });
        }

        DebugHttpServer& server_;
        boost::beast::tcp_stream stream_;
        boost::beast::flat_buffer buffer_;
        http::request_parser<http::string_body> parser_;
        DebugResponse response_;
        bool reading_ = true;
        std::list<Session*>::iterator place_;
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, detail::tcp::socket socket) {
            if (ec == detail::asio::error::operation_aborted) return;
            if (ec) { // out of descriptors, say: the pending connection stays; try again shortly
                retry_.expires_after(std::chrono::milliseconds{100});
                retry_.async_wait([this](boost::system::error_code e) {
                    if (!e) accept();
                });
                return;
            }
            if (sessions_.size() >= options_.max_connections) evict();
            std::make_shared<Session>(*this, std::move(socket))->start();
            accept();
        });
    }

    /// Closes the oldest connection still waiting for its request (or the oldest of all).
    void evict() {
        for (Session* s : sessions_)
            if (s->reading()) return s->close();
        if (!sessions_.empty()) sessions_.front()->close();
    }

    DebugHandlers handlers_;
    DebugHttpOptions options_;
    std::list<Session*> sessions_; // oldest first; before io_: its handlers, which own the sessions, go first
    detail::asio::io_context io_;
    detail::tcp::acceptor acceptor_{io_};
    detail::asio::steady_timer retry_{io_};
    std::uint16_t port_ = 0;
    std::thread thread_;
};

struct HttpResponse {
    int status = 0;
    std::string headers; ///< the header lines after the status line ("Name: value\r\n" each)
    std::string body;
};

/// GET http://<address><path>, all within `timeout`; bearer: a token for Authorization. Throws
/// std::runtime_error naming the URL when there is no answer (refused, timed out, not HTTP).
inline HttpResponse http_get(std::string_view address, std::string_view path, std::chrono::milliseconds timeout,
                             std::string_view bearer = {}) {
    namespace beast = boost::beast;
    const std::string url = "http://" + std::string(address) + std::string(path);
    detail::asio::io_context io;
    beast::tcp_stream stream(io);
    detail::tcp::resolver::results_type endpoints;
    try {
        endpoints = detail::resolve(io, address, false);
    } catch (const std::exception& e) {
        throw std::runtime_error(url + ": " + e.what());
    }
    http::request<http::empty_body> request{http::verb::get, std::string(path), 11};
    request.set(http::field::host, beast::string_view(address.data(), address.size()));
    request.set(http::field::connection, "close");
    if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + std::string(bearer));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    std::string failure;
    stream.expires_after(timeout); // for all of it
    stream.async_connect(endpoints, [&](boost::system::error_code ec, const auto&) {
        if (ec) {
            failure = ec == beast::error::timeout ? "connect timed out" : std::string(address) + ": " + ec.message();
            return;
        }
        http::async_write(stream, request, [&](boost::system::error_code ec, std::size_t) {
            if (ec) {
                failure = ec == beast::error::timeout ? "timed out sending" : ec.message();
                return;
            }
            http::async_read(stream, buffer, parser, [&](boost::system::error_code ec, std::size_t) {
                if (ec) failure = ec == beast::error::timeout ? "timed out reading" : "not an HTTP response (" + ec.message() + ")";
            });
        });
    });
    io.run();
    if (!failure.empty()) throw std::runtime_error(url + ": " + failure);
    HttpResponse out;
    const auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    const auto text = [](beast::string_view v) { return std::string_view(v.data(), v.size()); };
    for (const auto& field : response)
        out.headers.append(text(field.name_string())).append(": ").append(text(field.value())).append("\r\n");
    out.body = response.body();
    return out;
}

} // namespace eh::server
