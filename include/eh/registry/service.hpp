#pragma once
// What a go-micro gRPC server of ocis registers for its node (docs/ocis-contract.md section 5), byte for
// byte as ocis writes it:
//   plain key  "<name>@<server id>@<version>"            (ocis-pkg/natsjsregistry)
//   value      Go's json.Marshal of go-micro v4's registry.Service, whose fields go-micro v4
//              orders for alignment: Node{metadata,id,address}, Endpoint{request,response,
//              metadata,name}; a map comes out with sorted keys, a nil map as null.
// The endpoints are what go-micro's reflection extracts from ocis's generated handler
// (EventHistoryService, methods in name order; message fields by their json tags, slices as
// "[]<elem>", unexported fields skipped). The node metadata is ocis's: broker "http",
// registry "cache" (ocis wraps its registry in go-micro's cache, whose name that is),
// server, transport and protocol "grpc". go-micro's lookup reads only name, version and nodes.
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "eh/detail/go_json.hpp"

namespace eh::registry {

/// The node this process registers.
struct ServiceNode {
    std::string name;      ///< "<namespace>.eventhistory", e.g. com.owncloud.api.eventhistory
    std::string version;   ///< the daemon's
    std::string server_id; ///< a fresh UUID per process (go-micro's server.DefaultId)
    std::string address;   ///< host:port a peer can dial (node_address.hpp)
};

/// The service name ocis's clients look up: namespace + ".eventhistory".
inline std::string service_name(std::string_view ns) { return std::string(ns) + ".eventhistory"; }

/// The record's plain key, "<name>@<server id>@<version>".
inline std::string plain_key(const ServiceNode& n) { return n.name + "@" + n.server_id + "@" + n.version; }

namespace detail {

// registry.Endpoint of each method, as go-micro extracts it (see above).
inline constexpr std::string_view response_value =
    R"({"name":"GetEventsResponse","type":"GetEventsResponse","values":[{"name":"events","type":"[]Event","values":null}]})";

inline void append_endpoint(std::string_view method, std::string_view request, std::string& out) {
    out += R"({"request":)";
    out += request;
    out += R"(,"response":)";
    out += response_value;
    out += R"(,"metadata":{},"name":"EventHistoryService.)";
    out += method;
    out += R"("})";
}

} // namespace detail

/// go-micro's registry.Service JSON of the node (see above).
inline std::string service_json(const ServiceNode& n) {
    namespace go_json = eh::detail::go_json;
    std::string out = R"({"name":)";
    go_json::quote(n.name, out);
    out += R"(,"version":)";
    go_json::quote(n.version, out);
    out += R"(,"metadata":null,"endpoints":[)";
    detail::append_endpoint(
        "GetEvents",
        R"({"name":"GetEventsRequest","type":"GetEventsRequest","values":[{"name":"ids","type":"[]string","values":null}]})",
        out);
    out += ',';
    detail::append_endpoint(
        "GetEventsForUser",
        R"({"name":"GetEventsForUserRequest","type":"GetEventsForUserRequest","values":[{"name":"userID","type":"string","values":null}]})",
        out);
    out += R"(],"nodes":[{"metadata":{"broker":"http","protocol":"grpc","registry":"cache","server":"grpc","transport":"grpc"},"id":)";
    go_json::quote(n.name + "-" + n.server_id, out);
    out += R"(,"address":)";
    go_json::quote(n.address, out);
    out += "}]}";
    return out;
}

/// A random (version 4) UUID in its canonical text form, as Go's uuid.New().String().
inline std::string random_uuid() {
    std::random_device entropy;
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < b.size(); i += 4) {
        const auto r = entropy();
        for (std::size_t k = 0; k < 4; ++k) b[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40); // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80); // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[b[i] >> 4];
        out += hex[b[i] & 15];
    }
    return out;
}

} // namespace eh::registry
