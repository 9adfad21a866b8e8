// Any bytes off the bus: the envelope decoder returns ok or a typed error, never crashes,
// and its fast path (the strict scanner) decodes exactly as the general decoder does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eh/envelope/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    eh::Event event, general;
    eh::envelope::DecodeNotes notes, general_notes;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto result = eh::envelope::decode(bytes, event, &notes, {.max_bytes = 2048});
    if (result == eh::DecodeError::ok && event.id.empty()) __builtin_trap(); // an accepted envelope always has an id
    const auto expected = eh::envelope::decode_general(bytes, general, &general_notes, {.max_bytes = 2048});
    if (result != expected) __builtin_trap();
    if (result == eh::DecodeError::ok && (!(event == general) || notes.id_from_envelope != general_notes.id_from_envelope))
        __builtin_trap();
    return 0;
}
