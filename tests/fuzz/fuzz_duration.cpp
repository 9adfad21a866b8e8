// Any text as a Go duration (OCIS_PERSISTENT_STORE_TTL=...): parsing never crashes or
// overflows, and whatever parses is written back as text that reads back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eh/config/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parsed = eh::config::parse_duration(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!parsed) return 0;
    if (eh::config::parse_duration(eh::config::format_duration(*parsed)) != parsed) __builtin_trap();
    return 0;
}
