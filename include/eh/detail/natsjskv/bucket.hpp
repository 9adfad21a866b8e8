#pragma once
// Opening a KV bucket of go-micro's nats-js-kv store layout (record.hpp), or creating it the
// way that store does when it is missing: history 1, max age = the TTL (NATS 2.9 has no
// per-key TTL), file or memory storage. cnats creates KV streams with AllowDirect.
#include <chrono>
#include <string>

#include <nats/nats.h>

#include "eh/detail/c_handle.hpp"
#include "eh/detail/nats/status.hpp"

namespace eh::detail::natsjskv {

using Bucket = Handle<kvStore, kvStore_Destroy>;
using Entry = Handle<kvEntry, kvEntry_Destroy>;

struct BucketSpec {
    std::string name;
    std::chrono::nanoseconds ttl;
    bool memory = false;
    int replicas = 1;
    std::string description; ///< shown by `nats kv info`; go-micro sets one, ours need not
};

/// Binds to the bucket, creating it when missing; another process creating it meanwhile is
/// not an error. Null, and why in `why`, when neither works.
inline Bucket open_bucket(jsCtx* js, const BucketSpec& spec, nats::Status& why) {
    kvStore* kv = nullptr;
    why = nats::status(js_KeyValue(&kv, js, spec.name.c_str()));
    if (!why && why.not_found()) {
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = spec.name.c_str();
        if (!spec.description.empty()) cfg.Description = spec.description.c_str();
        cfg.History = 1;
        cfg.TTL = spec.ttl.count(); // nanoseconds: cnats copies it into the stream's MaxAge as it is
        cfg.StorageType = spec.memory ? js_MemoryStorage : js_FileStorage;
        cfg.Replicas = spec.replicas;
        why = nats::status(js_CreateKeyValue(&kv, js, &cfg));
        if (!why) why = nats::status(js_KeyValue(&kv, js, spec.name.c_str())); // created by someone else meanwhile
    }
    return Bucket(why ? kv : nullptr);
}

} // namespace eh::detail::natsjskv
