#pragma once
// Owning handles for hiredis objects: each is freed exactly once, by the function hiredis
// names for it.
#include <memory>
#include <string_view>

#include <hiredis/hiredis.h>

namespace eh::store::detail::redis {

struct ContextDeleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};

using Context = std::unique_ptr<redisContext, ContextDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

/// The bytes of a string, status or error reply (empty for other types).
inline std::string_view text(const redisReply& r) noexcept {
    return r.str ? std::string_view(r.str, r.len) : std::string_view{};
}

} // namespace eh::store::detail::redis
