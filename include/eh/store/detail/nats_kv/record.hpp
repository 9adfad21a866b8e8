#pragma once
// The value go-micro's nats-js-kv store writes for ocis (interop.md section 3):
//   {"key":"<id>","data":"<base64 of the StoreEvent JSON>","metadata":{"type":"events.X"}}
// byte for byte as Go's json.Marshal writes it, and read tolerantly. The value holds no
// time: ours carry the event's timestamp in a message header, which ocis never reads.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/detail/base64.hpp"
#include "eh/detail/go_json.hpp"
#include "eh/detail/json.hpp"
#include "eh/detail/nats/handles.hpp"
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
    out += R"({"key":)";
    eh::detail::go_json::quote(e.id, out);
    out += R"(,"data":")";
    eh::detail::base64::encode(data, out);
    out += R"(","metadata":{"type":)";
    eh::detail::go_json::quote(e.type, out);
    out += "}}";
}

/// The StoreEvent JSON held by a record, into data; false when value is not such a record.
inline bool decode_record(std::string_view value, std::string& data) {
    namespace json = eh::detail::json;
    json::od::document doc;
    json::od::object obj;
    if (json::open_object(value, doc, obj) != DecodeError::ok) return false;
    std::string b64;
    bool seen = false;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
        if (key != "data") continue;
        json::od::value v;
        if (field.value().get(v) != simdjson::SUCCESS || !json::string_or_null(v, b64)) return false;
        seen = true;
    }
    data.clear();
    return seen && eh::detail::base64::decode(b64, data);
}

/// The event held by a record: decode_record, then the codec; false when value is none.
template <class Codec>
bool decode_record_event(std::string_view value, const Codec& codec, Event& out) {
    thread_local std::string data;
    return decode_record(value, data) && codec.decode(data, out) == DecodeError::ok;
}

} // namespace eh::store::detail::nats_kv
