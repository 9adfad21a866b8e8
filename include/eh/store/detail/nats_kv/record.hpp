#pragma once
// The value go-micro's nats-js-kv store writes for ocis (docs/ocis-contract.md section 3), in the layout
// of eh/detail/natsjskv/record.hpp:
//   {"key":"<id>","data":"<base64 of the StoreEvent JSON>","metadata":{"type":"events.X"}}
// The value holds no time: ours carry the event's timestamp in a message header, which ocis
// never reads.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/detail/go_json.hpp"
#include "eh/detail/nats/handles.hpp"
#include "eh/detail/natsjskv/record.hpp"
#include "eh/detail/rfc3339.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/store/detail/nats_kv/replies.hpp"

namespace eh::store::detail::nats_kv {

/// The header of our records holding the event's timestamp (nanoseconds since the epoch).
inline constexpr const char* time_header = "Eh-Time";

/// A record's time from a direct get's reply: the event's (time_header), or for records
/// without it (ocis's) when the stream stored it.
inline Timestamp record_time(const eh::detail::nats::Message& reply) {
    if (const auto ns = to_u64(header(reply, time_header)))
        return Timestamp{std::chrono::nanoseconds{static_cast<std::int64_t>(*ns)}};
    return eh::detail::rfc3339::parse(header(reply, "Nats-Time-Stamp")).value_or(Timestamp{});
}

/// Appends the record of e, whose StoreEvent JSON (the codec's bytes) is data.
inline void encode_record(const Event& e, std::string_view data, std::string& out) {
    eh::detail::natsjskv::record(e.id, data, [&](std::string& o) {
        o += R"({"type":)";
        eh::detail::go_json::quote(e.type, o);
        o += '}';
    }, out);
}

/// The event held by a record: its data, then the codec; false when value is none.
template <class Codec>
bool decode_record_event(std::string_view value, const Codec& codec, Event& out) {
    thread_local std::string data;
    return eh::detail::natsjskv::record_data(value, data) && codec.decode(data, out) == DecodeError::ok;
}

} // namespace eh::store::detail::nats_kv
