#pragma once
// "host:port" as Go's net.SplitHostPort reads it: IPv6 hosts in brackets ("[::1]:9270"), an
// empty host meaning every interface (":9270"). Node lists and listen addresses use it, and
// the node list checks of the daemon and its stores.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eh/config/error.hpp"

namespace eh::config {

struct HostPort {
    std::string host; ///< without brackets; empty: every interface
    std::uint16_t port = 0;
};

inline std::optional<HostPort> parse_host_port(std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
    if (host.starts_with('[')) {
        if (!host.ends_with(']')) return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find_first_of(":[]") != std::string_view::npos) {
        return std::nullopt; // an IPv6 host needs brackets
    }
    HostPort out{std::string(host)};
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size()) return std::nullopt;
    return out;
}

/// host:port, optionally as a nats:// or tls:// URL, which may carry a token or user:password.
inline bool is_nats_node(std::string_view s) {
    for (std::string_view scheme : {"nats://", "tls://"})
        if (s.starts_with(scheme)) {
            s.remove_prefix(scheme.size());
            if (const auto at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
        }
    const auto hp = parse_host_port(s);
    return hp && !hp->host.empty();
}

/// Throws BadSetting(key) unless nodes is a non-empty list of nodes that is_valid accepts;
/// the message says what `who`'s nodes look like (`form`).
template <class IsValid>
void check_nodes(std::string_view key, const std::vector<std::string>& nodes, IsValid is_valid, std::string_view who,
                 std::string_view form) {
    const std::string expected = " (" + std::string(who) + " nodes are " + std::string(form) + ")";
    if (nodes.empty()) throw BadSetting(std::string(key), "no nodes" + expected);
    for (const auto& node : nodes)
        if (!is_valid(node)) throw BadSetting(std::string(key), "malformed node \"" + node + "\"" + expected);
}

} // namespace eh::config
