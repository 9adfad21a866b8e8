#pragma once
// What the debug HTTP server answers (debug_http.hpp serves it): /healthz, /readyz, /metrics,
// for GET and HEAD. Pure: a parsed request in, a response out; the fuzz target drives it
// through Beast's parser with arbitrary bytes.
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace eh::server {

namespace http = boost::beast::http;

/// What the server asks the process. Both run on the server's thread: keep them quick.
struct DebugHandlers {
    std::function<std::string()> readiness; ///< "" when ready, else why not (503 with it as the body)
    std::function<std::string()> metrics;   ///< the Prometheus text for /metrics
};

using DebugRequest = http::request<http::string_body>;
using DebugResponse = http::response<http::string_body>;

namespace detail {

/// a == b in a time that does not depend on where they differ (a token check).
inline bool same_secret(std::string_view a, std::string_view b) noexcept {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.size() | 1)]);
    return diff == 0;
}

inline DebugResponse reply(http::status status, std::string body, bool head_only = false,
                           std::string_view content_type = "text/plain; charset=utf-8") {
    DebugResponse r{status, 11};
    r.set(http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
    r.content_length(body.size()); // for HEAD too: the length GET's body would have
    r.set(http::field::connection, "close");
    if (!head_only) r.body() = std::move(body);
    return r;
}

} // namespace detail

/// The response to req. token: when not empty, /metrics needs "Authorization: Bearer <token>"
/// (401 otherwise); /healthz and /readyz stay open, as in ocis.
inline DebugResponse debug_response(const DebugRequest& req, const DebugHandlers& handlers, std::string_view token) {
    using detail::reply;
    const bool head_only = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head_only) return reply(http::status::method_not_allowed, "method not allowed\n");
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view route = target.substr(0, target.find('?'));
    try {
        if (route == "/healthz") return reply(http::status::ok, "ok\n", head_only);
        if (route == "/readyz") {
            const std::string reason = handlers.readiness ? handlers.readiness() : std::string();
            return reason.empty() ? reply(http::status::ok, "ready\n", head_only)
                                  : reply(http::status::service_unavailable, reason + "\n", head_only);
        }
        if (route == "/metrics") {
            const auto auth = req[http::field::authorization];
            if (!token.empty() && !detail::same_secret(std::string_view(auth.data(), auth.size()),
                                                       "Bearer " + std::string(token))) {
                auto r = reply(http::status::unauthorized, "unauthorized\n", head_only);
                r.set(http::field::www_authenticate, "Bearer");
                return r;
            }
            return reply(http::status::ok, handlers.metrics ? handlers.metrics() : std::string(), head_only,
                         "text/plain; version=0.0.4; charset=utf-8");
        }
    } catch (const std::exception& e) {
        return reply(http::status::internal_server_error, std::string(e.what()) + "\n", head_only);
    } catch (...) { // a handler's failure must not end the server's thread
        return reply(http::status::internal_server_error, "handler failed\n", head_only);
    }
    return reply(http::status::not_found, "not found\n", head_only);
}

} // namespace eh::server
