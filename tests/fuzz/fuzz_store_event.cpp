// Any bytes from a store: the StoreEvent decoder never crashes, and whatever it accepts
// survives encode -> decode unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/codec/ocis_store_event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const eh::codec::OcisStoreEvent codec;
    eh::Event first, second;
    if (codec.decode(std::string_view(reinterpret_cast<const char*>(data), size), first) != eh::DecodeError::ok)
        return 0;
    std::string bytes;
    codec.encode(first, bytes);
    if (codec.decode(bytes, second) != eh::DecodeError::ok || second.payload != first.payload ||
        second.type != first.type || second.id != first.id)
        __builtin_trap();
    return 0;
}
