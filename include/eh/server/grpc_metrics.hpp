#pragma once
// Request counters of the gRPC adapter, by method and status code. Lock-free: every request
// bumps one relaxed atomic, and the /metrics renderer reads them while requests go on.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <grpcpp/support/status.h>

namespace eh::server {

namespace detail {
/// Indexed by grpc::StatusCode, OK (0) to UNAUTHENTICATED (16), as in gRPC's statuscodes.md.
inline constexpr std::array<std::string_view, 17> grpc_code_names{
    "OK",           "CANCELLED",     "UNKNOWN",   "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",   "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",  "UNAVAILABLE",        "DATA_LOSS",           "UNAUTHENTICATED"};

constexpr std::size_t code_index(grpc::StatusCode code) noexcept {
    const auto i = static_cast<std::size_t>(code);
    return i < grpc_code_names.size() ? i : static_cast<std::size_t>(grpc::StatusCode::UNKNOWN);
}
} // namespace detail

/// The canonical name of a status code: "OK", "INVALID_ARGUMENT", ...
constexpr std::string_view code_name(grpc::StatusCode code) noexcept {
    return detail::grpc_code_names[detail::code_index(code)];
}

/// The methods of ocis.services.eventhistory.v0.EventHistoryService.
enum class GrpcMethod : std::uint8_t { get_events, get_events_for_user };

class GrpcMetrics {
public:
    static constexpr std::string_view service = "ocis.services.eventhistory.v0.EventHistoryService";
    static constexpr std::array<std::string_view, 2> method_names{"GetEvents", "GetEventsForUser"}; // by GrpcMethod

    /// Counts one finished request.
    void count(GrpcMethod method, grpc::StatusCode code) noexcept {
        counts_[static_cast<std::size_t>(method)][detail::code_index(code)].fetch_add(1, std::memory_order_relaxed);
    }

    /// Requests of method that finished with code.
    std::uint64_t requests(GrpcMethod method, grpc::StatusCode code) const noexcept {
        return counts_[static_cast<std::size_t>(method)][detail::code_index(code)].load(std::memory_order_relaxed);
    }

    /// Calls f(std::string_view method, std::string_view code, std::uint64_t count) for each
    /// (method, code) pair counted at least once, e.g. ("GetEvents", "OK", 42). Requests that
    /// gRPC itself rejects before they reach the adapter (message too large, unknown method)
    /// are not seen here.
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t m = 0; m < counts_.size(); ++m)
            for (std::size_t c = 0; c < detail::grpc_code_names.size(); ++c)
                if (auto n = counts_[m][c].load(std::memory_order_relaxed))
                    f(method_names[m], detail::grpc_code_names[c], n);
    }

private:
    std::array<std::array<std::atomic<std::uint64_t>, detail::grpc_code_names.size()>, method_names.size()> counts_{};
};

} // namespace eh::server
