#pragma once
// "host:port" as Go's net.SplitHostPort reads it: IPv6 hosts in brackets ("[::1]:9270"), an
// empty host meaning every interface (":9270"). Node lists and listen addresses use it.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

} // namespace eh::config
