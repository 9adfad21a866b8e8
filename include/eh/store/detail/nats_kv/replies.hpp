#pragma once
// Reading the replies a pipeline (pipeline.hpp) brings back: pub acks, direct gets (the
// message with its headers, or a "Status: 404" without one) and stream infos.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"

namespace eh::store::detail::nats_kv {

/// The value of a header of reply; empty when it has none.
inline std::string_view header(const eh::detail::nats::Message& reply, const char* key) {
    const char* value = nullptr;
    if (reply.get() == nullptr || natsMsgHeader_Get(reply.get(), key, &value) != NATS_OK || value == nullptr) return {};
    return value;
}

inline std::optional<std::uint64_t> to_u64(std::string_view s) {
    std::uint64_t n = 0;
    if (s.empty() || std::from_chars(s.data(), s.data() + s.size(), n).ptr != s.data() + s.size()) return std::nullopt;
    return n;
}

/// The stream sequence of a direct get's message; nullopt when there was none (404).
inline std::optional<std::uint64_t> direct_get_sequence(const eh::detail::nats::Message& reply) {
    return to_u64(header(reply, "Nats-Sequence"));
}

/// The unsigned number after "<field>": in a JSON text; nullopt when there is none.
inline std::optional<std::uint64_t> json_number(std::string_view json, std::string_view field) {
    const std::string key = "\"" + std::string(field) + "\":";
    const auto at = json.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = json.substr(at + key.size());
    return to_u64(rest.substr(0, rest.find_first_not_of("0123456789")));
}

struct PubAck {
    std::optional<std::uint64_t> seq; ///< stored as this stream sequence
    bool wrong_last_sequence = false; ///< rejected by the expected last subject sequence (10071)
    bool too_large = false;           ///< rejected as larger than the stream takes (10054)
};

inline PubAck pub_ack(std::string_view reply) {
    if (reply.empty() || reply.find("\"error\"") != std::string_view::npos) {
        const auto code = json_number(reply, "err_code");
        return {std::nullopt, code == 10071u, code == 10054u};
    }
    return {json_number(reply, "seq")};
}

/// A stream's first and last sequence, from the reply to $JS.API.STREAM.INFO.<stream>.
struct StreamRange {
    std::uint64_t first = 0, last = 0;
};
inline std::optional<StreamRange> stream_range(std::string_view info) {
    const auto state = info.find("\"state\":");
    if (state == std::string_view::npos) return std::nullopt;
    info.remove_prefix(state);
    const auto first = json_number(info, "first_seq"), last = json_number(info, "last_seq");
    if (!first || !last) return std::nullopt;
    return StreamRange{*first, *last};
}

} // namespace eh::store::detail::nats_kv
