#pragma once
// Which EventHistoryService method a call's path names. Two spellings reach the same handler:
// the proto package path /ocis.services.eventhistory.v0.EventHistoryService/<Method>, and
// go-micro's /<service name>.EventHistoryService/<Method> (ocis's clients call
// /com.owncloud.api.eventhistory.EventHistoryService/GetEvents). go-micro's server routes by the
// last dotted part of the service (go-micro util/grpc ServiceMethod), so any prefix is
// accepted, and none.
#include <optional>
#include <string_view>

#include "eh/server/grpc_metrics.hpp"

namespace eh::server {

/// The method of a path "/[<prefix>.]EventHistoryService/<Method>"; nullopt for any other.
constexpr std::optional<GrpcMethod> method_of_path(std::string_view path) noexcept {
    if (!path.starts_with('/')) return std::nullopt;
    path.remove_prefix(1);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view service = path.substr(0, slash);
    const std::string_view method = path.substr(slash + 1);
    if (const auto dot = service.rfind('.'); dot != std::string_view::npos) service.remove_prefix(dot + 1);
    if (service != "EventHistoryService") return std::nullopt;
    for (std::size_t m = 0; m < GrpcMetrics::method_names.size(); ++m)
        if (method == GrpcMetrics::method_names[m]) return static_cast<GrpcMethod>(m);
    return std::nullopt;
}

} // namespace eh::server
