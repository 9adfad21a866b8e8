#pragma once
// Where the framework's log lines go. Every header under eh/ writes through eh::logger(): spdlog's
// default logger unless the library user sets one of their own (set_logger), e.g. to send eh's
// lines to another sink or to give them a name and level apart from the application's.
#include <atomic>
#include <memory>

#include <spdlog/spdlog.h>

namespace eh {
namespace detail {
inline std::atomic<std::shared_ptr<spdlog::logger>>& chosen_logger() {
    static std::atomic<std::shared_ptr<spdlog::logger>> chosen;
    return chosen;
}
} // namespace detail

/// eh's log lines go to l from now on, on every thread; nullptr: back to spdlog's default logger.
inline void set_logger(std::shared_ptr<spdlog::logger> l) { detail::chosen_logger().store(std::move(l)); }

/// The logger eh writes to (kept alive by the returned pointer while a line is written).
inline std::shared_ptr<spdlog::logger> logger() {
    if (auto l = detail::chosen_logger().load()) return l;
    return spdlog::default_logger();
}

} // namespace eh
