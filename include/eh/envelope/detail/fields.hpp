#pragma once
// Where an envelope's Metadata entries go in the event: one table for both decoders.
#include <string>
#include <string_view>

#include "eh/event.hpp"

namespace eh::envelope::detail {

/// The event's field for a Metadata key; nullptr for keys the event does not keep. Map keys
/// are case-sensitive in Go (map[string]string), unlike the envelope's struct fields.
inline std::string* metadata_field(Event& out, std::string_view key) noexcept {
    return key == "eventid"       ? &out.id
           : key == "eventtype"   ? &out.type
           : key == "traceparent" ? &out.traceparent
           : key == "initiatorid" ? &out.initiatorid
                                  : nullptr;
}

} // namespace eh::envelope::detail
