#pragma once
// Errors that cross policy boundaries.
#include <stdexcept>
#include <string_view>

namespace eh {

/// Why a message or stored value could not be decoded. Decoders return this instead of
/// throwing: malformed input is data, and one bad message must not cost an exception each.
enum class DecodeError {
    ok = 0,
    not_json,      ///< not parseable JSON
    not_object,    ///< JSON, but not an object at the top level
    bad_payload,   ///< Payload/Event is not a (standard, padded) base64 string
    bad_timestamp, ///< Timestamp is not RFC 3339
    bad_field,     ///< a known field has the wrong JSON type
    no_id,         ///< neither Metadata.eventid nor the envelope ID
    oversize,      ///< larger than the decoder's limit
};

constexpr std::string_view to_string(DecodeError e) noexcept {
    switch (e) {
    case DecodeError::ok: return "ok";
    case DecodeError::not_json: return "not JSON";
    case DecodeError::not_object: return "not a JSON object";
    case DecodeError::bad_payload: return "payload is not base64";
    case DecodeError::bad_timestamp: return "timestamp is not RFC 3339";
    case DecodeError::bad_field: return "a field has the wrong type";
    case DecodeError::no_id: return "no event id";
    case DecodeError::oversize: return "message too large";
    }
    return "unknown";
}

/// A store could not do what was asked (unreachable, refused, timed out). Thrown by store
/// policies; the ingest loop turns it into a NAK, the gRPC adapter into UNAVAILABLE.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace eh
