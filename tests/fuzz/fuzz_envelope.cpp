// Any bytes off the bus: the envelope decoder returns ok or a typed error, never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eh/envelope/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    eh::Event event;
    eh::envelope::DecodeNotes notes;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (eh::envelope::decode(bytes, event, &notes, {.max_bytes = 2048}) == eh::DecodeError::ok &&
        event.id.empty())
        __builtin_trap(); // an accepted envelope always has an id
    return 0;
}
