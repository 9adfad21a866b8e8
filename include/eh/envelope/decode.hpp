#pragma once
// Decoding of the go-micro events.Event envelope that reva/ocis publish on "main-queue": JSON
// with Go's field names as keys (matched case-insensitively), base64 Payload, event id and type
// in Metadata (docs/ocis-contract.md section 1). Pure: bytes in, Event out.
#include <cstddef>
#include <string>
#include <string_view>

#include "eh/detail/ascii.hpp"
#include "eh/detail/base64.hpp"
#include "eh/detail/json.hpp"
#include "eh/detail/rfc3339.hpp"
#include "eh/envelope/detail/fields.hpp"
#include "eh/envelope/detail/strict.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"

namespace eh::envelope {

/// NATS' default max payload is 1 MiB; leave room for servers configured larger.
inline constexpr std::size_t default_max_bytes = 8u << 20;

struct DecodeOptions {
    std::size_t max_bytes = default_max_bytes;
};

/// What the decoder noticed besides the event itself.
struct DecodeNotes {
    bool id_from_envelope = false; ///< Metadata.eventid was missing or empty; the envelope ID was used
};

namespace detail {
namespace json = eh::detail::json;

inline DecodeError read_metadata(json::od::value v, Event& out) {
    bool is_null = false;
    if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) return DecodeError::ok;
    json::od::object md;
    if (v.get_object().get(md) != simdjson::SUCCESS) return DecodeError::bad_field;
    for (auto field : md) {
        std::string_view key;
        json::od::value val;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS || field.value().get(val) != simdjson::SUCCESS)
            return DecodeError::not_json;
        std::string* target = metadata_field(out, key);
        if (target == nullptr) continue; // unknown metadata: ignored
        if (!json::string_or_null(val, *target)) return DecodeError::bad_field;
    }
    return DecodeError::ok;
}

/// What both paths share once the fields are read: the timestamp, and the id's fallback.
inline DecodeError finish(Event& out, std::string_view envelope_id, std::string_view timestamp, DecodeNotes* notes) {
    if (!timestamp.empty()) {
        auto t = eh::detail::rfc3339::parse(timestamp);
        if (!t) return DecodeError::bad_timestamp;
        // Before 1677 (Go's zero time 0001-01-01, a publisher that set none): not given, so
        // the event lives from its arrival. After 2262: the far future, which every store
        // clamps to the arrival (eh/store/lifetime.hpp).
        out.timestamp = *t == Timestamp::min() ? Timestamp{} : *t;
    }
    const bool fallback = out.id.empty();
    if (fallback) out.id.assign(envelope_id);
    if (out.id.empty()) return DecodeError::no_id;
    if (notes) notes->id_from_envelope = fallback;
    return DecodeError::ok;
}

inline void clear(Event& out) {
    out.id.clear();
    out.type.clear();
    out.payload.clear();
    out.traceparent.clear();
    out.initiatorid.clear();
    out.timestamp = Timestamp{};
}

/// The general decoder: any JSON, through simdjson.
inline DecodeError decode_general(std::string_view message, Event& out, DecodeNotes* notes) {
    namespace json = eh::detail::json;
    using eh::detail::iequals;
    clear(out);
    std::string envelope_id, timestamp;

    json::od::document doc;
    json::od::object obj;
    if (auto e = json::open_object(message, doc, obj); e != DecodeError::ok) return e;

    for (auto field : obj) {
        std::string_view key;
        json::od::value val;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS || field.value().get(val) != simdjson::SUCCESS)
            return DecodeError::not_json;
        // Go matches JSON keys to struct fields case-insensitively; a later duplicate wins.
        if (iequals(key, "metadata")) {
            if (auto e = read_metadata(val, out); e != DecodeError::ok) return e;
        } else if (iequals(key, "payload")) {
            // Decoded straight from the parser's buffer: no copy of the base64 text.
            std::string_view b64;
            bool is_null = false;
            out.payload.clear();
            if (val.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
            if (val.get_string().get(b64) != simdjson::SUCCESS || !eh::detail::base64::decode(b64, out.payload))
                return DecodeError::bad_payload;
        } else if (iequals(key, "id")) {
            if (!json::string_or_null(val, envelope_id)) return DecodeError::bad_field;
        } else if (iequals(key, "timestamp")) {
            if (!json::string_or_null(val, timestamp)) return DecodeError::bad_timestamp;
        }
        // Topic and unknown keys: ignored (skipped by the iteration).
    }
    return finish(out, envelope_id, timestamp, notes);
}
} // namespace detail

/// Decodes one envelope into out (its strings' capacity is reused). On error, out is unspecified.
/// What publishers send goes through the strict scanner (detail/strict.hpp); whatever it
/// does not take, the general decoder decides.
inline DecodeError decode(std::string_view message, Event& out, DecodeNotes* notes = nullptr,
                          const DecodeOptions& options = {}) {
    if (message.size() > options.max_bytes) return DecodeError::oversize;
    detail::clear(out);
    std::string_view envelope_id, timestamp;
    if (detail::strict::decode(message, out, envelope_id, timestamp))
        return detail::finish(out, envelope_id, timestamp, notes);
    return detail::decode_general(message, out, notes);
}

/// The general decoder alone (simdjson), for tests that hold the fast path against it.
inline DecodeError decode_general(std::string_view message, Event& out, DecodeNotes* notes = nullptr,
                                  const DecodeOptions& options = {}) {
    if (message.size() > options.max_bytes) return DecodeError::oversize;
    return detail::decode_general(message, out, notes);
}

} // namespace eh::envelope
