#pragma once
// Errors that cross policy boundaries.
#include <stdexcept>
#include <string>
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

/// A store could not do what was asked (unreachable, timed out, not enough replicas): a
/// transient failure. Thrown by store policies; the ingest loop turns it into a NAK (retried
/// without limit), the gRPC adapter into UNAVAILABLE. what() is for the log and may name
/// hosts, buckets or master names; summary() says what failed without them, for clients and
/// /readyz.
struct StoreError : std::runtime_error {
    explicit StoreError(const std::string& detail, std::string summary = "the store is unavailable")
        : std::runtime_error(detail), summary_(std::move(summary)) {}
    const std::string& summary() const noexcept { return summary_; }

private:
    std::string summary_;
};

/// The store answered but refused the batch because of (at least) one of its events, e.g. an
/// id it cannot hold or a record too large for it. The ingest loop splits the batch to find
/// the refused events, stores the others, and terminates a refused event after a bounded
/// number of tries.
struct StoreRefusal : StoreError {
    explicit StoreRefusal(const std::string& detail) : StoreError(detail, "the store refused an event") {}
};

/// A query's answer would exceed a limit (events, bytes, or candidates examined); what() names
/// it. The gRPC adapter answers RESOURCE_EXHAUSTED.
struct AnswerTooLarge : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A query the service does not run (e.g. a user id beyond its bounds); what() says why.
/// The gRPC adapter answers INVALID_ARGUMENT.
struct InvalidQuery : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

} // namespace eh
