// Any bytes as what a NATS server answers the nats-js-kv store: pub acks, stream infos, the
// index's progress messages, partition bodies and range headers, KV records. Never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/detail/nats_kv/index.hpp"
#include "eh/store/detail/nats_kv/progress.hpp"
#include "eh/store/detail/nats_kv/record.hpp"
#include "eh/store/detail/nats_kv/replies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace kv = eh::store::detail::nats_kv;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto ack = kv::pub_ack(in);
    if (ack.seq && (ack.wrong_last_sequence || ack.too_large)) __builtin_trap();
    if (const auto range = kv::stream_range(in); range) (void)(range->last - range->first);
    if (const auto p = kv::Progress::parse(in); p && p->pending && p->pending->first > p->pending->last)
        __builtin_trap();
    std::size_t postings = 0;
    kv::for_each_posting(in, [&](eh::index::Token, std::uint64_t) { ++postings; });
    if (postings > size) __builtin_trap(); // each posting takes 4 bytes of the body
    (void)kv::part_of(in, "1-4096");
    eh::Event e;
    (void)kv::decode_record_event(in, eh::codec::OcisStoreEvent{}, e);
    return 0;
}
