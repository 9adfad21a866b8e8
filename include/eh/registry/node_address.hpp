#pragma once
// The address a node registers: the bound one (with port 0, the port the kernel chose), its
// host as configured, unless that is unspecified ("", 0.0.0.0, ::): then an address of this
// host that peers can dial, picked as go-micro's addr.Extract does: the first private address
// (10/8, 172.16/12, 192.168/16, 100.64/10, fd00::/8) of the interfaces in their order,
// loopback interfaces last; else a public one. Link-local addresses are skipped: without a
// zone no peer can dial them.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "eh/config/address.hpp"

namespace eh::registry {

/// One address of a network interface.
struct InterfaceAddress {
    std::string ip; ///< text form, IPv6 without brackets
    bool loopback = false;
};

namespace detail {

inline bool in_v4(const in_addr& a, std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (ntohl(a.s_addr) & mask) == net;
}

/// 0: unusable (link-local or unparsable), 1: public, 2: private.
inline int rank(std::string_view ip) {
    const std::string text(ip);
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        if (in_v4(v4, 0xA9FE0000, 16)) return 0; // 169.254/16
        const bool priv = in_v4(v4, 0x0A000000, 8) || in_v4(v4, 0xAC100000, 12) || in_v4(v4, 0xC0A80000, 16) ||
                          in_v4(v4, 0x64400000, 10);
        return priv ? 2 : 1;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return 0;
    if (v6.s6_addr[0] == 0xFE && (v6.s6_addr[1] & 0xC0) == 0x80) return 0; // fe80::/10
    return v6.s6_addr[0] == 0xFD ? 2 : 1;
}

} // namespace detail

/// This host's interface addresses (IPv4 and IPv6), interface by interface in index order
/// as Go's net.Interfaces lists them, each interface's IPv4 addresses before its IPv6 ones.
inline std::vector<InterfaceAddress> interface_addresses() {
    struct Found {
        unsigned index;
        int family;
        InterfaceAddress address;
    };
    std::vector<Found> found;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return {};
    for (const ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || !(a->ifa_flags & IFF_UP)) continue;
        const int family = a->ifa_addr->sa_family;
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw = family == AF_INET    ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                          : family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr)
                                               : nullptr;
        if (!raw || !inet_ntop(family, raw, text, sizeof text)) continue;
        found.push_back({if_nametoindex(a->ifa_name), family, {text, (a->ifa_flags & IFF_LOOPBACK) != 0}});
    }
    freeifaddrs(list);
    std::stable_sort(found.begin(), found.end(), [](const Found& x, const Found& y) {
        return x.index != y.index ? x.index < y.index : x.family == AF_INET && y.family != AF_INET;
    });
    std::vector<InterfaceAddress> out;
    for (auto& f : found) out.push_back(std::move(f.address));
    return out;
}

/// The host to register for a listen host (see above); nullopt when the host is unspecified
/// and no interface has a usable address.
inline std::optional<std::string> pick_host(std::string_view host, std::span<const InterfaceAddress> interfaces) {
    if (!host.empty() && host != "0.0.0.0" && host != "::") return std::string(host);
    const InterfaceAddress* best = nullptr;
    int best_rank = 0;
    for (bool loopback : {false, true})
        for (const auto& a : interfaces) {
            if (a.loopback != loopback) continue;
            if (const int r = detail::rank(a.ip); r > best_rank) best = &a, best_rank = r;
            if (best_rank == 2) return best->ip;
        }
    if (!best) return std::nullopt;
    return best->ip;
}

/// "host:port" to register for a server listening on `listen` ("host:port", as
/// eh::config::parse_host_port reads it) and bound to `port`; an IPv6 host in brackets.
/// Throws std::runtime_error when there is no usable host.
inline std::string node_address(std::string_view listen, int port,
                                std::span<const InterfaceAddress> interfaces = interface_addresses()) {
    const auto hp = config::parse_host_port(listen);
    const auto host = pick_host(hp ? std::string_view(hp->host) : std::string_view{}, interfaces);
    if (!host) throw std::runtime_error("no address of this host to register for '" + std::string(listen) + "'");
    const bool v6 = host->find(':') != std::string::npos;
    return (v6 ? "[" + *host + "]" : *host) + ":" + std::to_string(port);
}

} // namespace eh::registry
