#pragma once
// The store's nodes, "host:port/master": the sentinels to ask, and the name of the master
// they watch (docs/ocis-contract.md section 3). Parsed once, at construction: a bad node is a
// configuration error (one line; the daemon exits 2), never a store error at run time.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/config/address.hpp"
#include "eh/config/error.hpp"

namespace eh::store::detail::redis {

struct SentinelNodes {
    std::vector<config::HostPort> sentinels;
    std::string master;
};

struct SentinelNode {
    config::HostPort sentinel;
    std::string_view master;
};

/// host:port/master: a sentinel's address and the name of the master it watches; nullopt when
/// node is not of that form.
inline std::optional<SentinelNode> parse_node(std::string_view node) {
    const auto slash = node.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = config::parse_host_port(node.substr(0, slash));
    const std::string_view master = node.substr(slash + 1);
    if (!address || address->host.empty() || address->port == 0 || master.empty() ||
        master.find('/') != std::string_view::npos)
        return std::nullopt;
    return SentinelNode{std::move(*address), master};
}

inline bool is_node(std::string_view node) { return parse_node(node).has_value(); }

inline SentinelNodes parse_nodes(std::span<const std::string> nodes) {
    auto fail = [](std::string problem) {
        throw config::ConfigError("redis-sentinel store: " + problem +
                                  " (nodes are host:port/master, e.g. 127.0.0.1:26379/mymaster)");
    };
    if (nodes.empty()) fail("no nodes");
    SentinelNodes out;
    for (std::string_view node : nodes) {
        auto parsed = parse_node(node);
        if (!parsed) fail("malformed node \"" + std::string(node) + "\"");
        const std::string_view master = parsed->master;
        if (!out.master.empty() && master != out.master)
            fail("nodes name different masters (\"" + out.master + "\" and \"" + std::string(master) + "\")");
        out.master = master;
        out.sentinels.push_back(std::move(parsed->sentinel));
    }
    return out;
}

} // namespace eh::store::detail::redis
