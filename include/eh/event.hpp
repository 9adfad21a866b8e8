#pragma once
// The one value that flows through eventhistory: an event as published on the bus.
#include <chrono>
#include <string>

namespace eh {

/// Nanoseconds since the Unix epoch, UTC. Zero means "not given by the publisher".
using Timestamp = std::chrono::sys_time<std::chrono::nanoseconds>;

struct Event {
    std::string id;          ///< Metadata.eventid (or the envelope ID when the publisher sent none)
    std::string type;        ///< Metadata.eventtype, e.g. "events.UploadReady"
    std::string payload;     ///< the event's own JSON, exactly as published (decoded base64)
    Timestamp timestamp{};   ///< envelope Timestamp
    std::string traceparent; ///< W3C trace context, when the publisher sent one
    std::string initiatorid; ///< Metadata.initiatorid, when sent

    friend bool operator==(const Event&, const Event&) = default;
};

} // namespace eh
