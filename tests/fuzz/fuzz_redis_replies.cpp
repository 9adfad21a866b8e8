// Any bytes as what a Redis server or sentinel sends: hiredis' reader, limited as ours are,
// parses them (RESP), and the store's readers of ROLE, SENTINEL get-master-addr-by-name, TIME
// and the index scan script take whatever reply comes out. A StoreError or a value, never a
// crash (nor an allocation of gigabytes: corpus/redis_replies/huge_array).
#include <cstddef>
#include <cstdint>
#include <string>

#include <hiredis/hiredis.h>

#include "eh/error.hpp"
#include "eh/store/detail/redis/reader_limit.hpp"
#include "eh/store/detail/redis/replies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace redis = eh::store::detail::redis;
    redisReader* reader = redisReaderCreate();
    redis::limit_reader(reader); // as every connection's: no array header allocates gigabytes
    redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
    for (void* raw = nullptr; redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr; raw = nullptr) {
        const redis::Reply reply(static_cast<redisReply*>(raw));
        const std::string peer = "fuzz:6379";
        try {
            (void)redis::replicas_in_role(*reply, peer);
        } catch (const eh::StoreError&) {
        }
        try {
            (void)redis::parse_master_address(*reply, peer, "m");
        } catch (const eh::StoreError&) {
        }
        try {
            (void)redis::scan_reply(*reply, peer);
        } catch (const eh::StoreError&) {
        }
        (void)redis::time_micros(*reply);
    }
    redisReaderFree(reader);
    return 0;
}
