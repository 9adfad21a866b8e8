#pragma once
// A bound on what one reply may make hiredis allocate. hiredis 0.14 (Debian's) allocates an
// array as soon as it reads its header: "*1700000000\r\n" from a broken or hostile server
// would ask for 13 GB at once. A reader limited here refuses arrays longer than
// max_reply_elements instead (the reply then fails as out of memory: a StoreError).
#include <cstddef>

#include <hiredis/hiredis.h>

namespace eh::store::detail::redis {

/// More than any reply of ours holds (MGET and LINDEX chunks, an index scan's hits, ROLE).
inline constexpr int max_reply_elements = 1 << 20;

namespace reader_detail {
inline const redisReplyObjectFunctions*& defaults() {
    static const redisReplyObjectFunctions* f = nullptr; // hiredis' own, the same for every reader
    return f;
}
inline void* create_array(const redisReadTask* task, int elements) {
    return elements > max_reply_elements ? nullptr : defaults()->createArray(task, elements);
}
} // namespace reader_detail

/// Makes reader refuse arrays longer than max_reply_elements.
inline void limit_reader(redisReader* reader) {
    static redisReplyObjectFunctions limited = [&] {
        reader_detail::defaults() = reader->fn;
        redisReplyObjectFunctions f = *reader->fn;
        f.createArray = reader_detail::create_array;
        return f;
    }();
    reader->fn = &limited;
}

} // namespace eh::store::detail::redis
