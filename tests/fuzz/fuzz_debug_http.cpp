// Any bytes a client sends to the debug server: Beast's parser (with the server's limits)
// reads them, and what it accepts goes through our routes; neither may crash, and /metrics
// never answers 200 without the token.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "eh/server/debug_routes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace http = boost::beast::http;
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(8 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
    const eh::server::DebugHandlers handlers{.readiness = [] { return std::string("not yet"); },
                                             .metrics = [] { return std::string("m 1\n"); }};
    const auto& req = parser.get();
    const auto response = eh::server::debug_response(req, handlers, "fuzz-token");
    const bool metrics = req.target().starts_with("/metrics");
    if (metrics && response.result() == http::status::ok && req[http::field::authorization] != "Bearer fuzz-token")
        __builtin_trap();
    return 0;
}
