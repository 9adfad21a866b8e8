#pragma once
// Opening the KV bucket, or creating it the way go-micro's nats-js-kv store does for ocis
// when it is missing: history 1, max age = the store TTL (NATS 2.9 has no per-key TTL), file
// or memory storage, the given replicas. cnats creates KV streams with AllowDirect, which
// get() relies on. The index stream (index.hpp) alike.
#include <chrono>
#include <memory>
#include <string>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/error.hpp"

namespace eh::store::detail::nats_kv {

using Bucket = std::unique_ptr<kvStore, eh::detail::nats::Deleter<kvStore, kvStore_Destroy>>;
using Watcher = std::unique_ptr<kvWatcher, eh::detail::nats::Deleter<kvWatcher, kvWatcher_Destroy>>;
using Entry = std::unique_ptr<kvEntry, eh::detail::nats::Deleter<kvEntry, kvEntry_Destroy>>;

struct BucketSpec {
    std::string name; ///< the bucket, or the index stream
    std::chrono::nanoseconds ttl;
    bool memory = false;
    int replicas = 1;
};

/// Binds to the bucket, creating it when missing; another process creating it meanwhile is
/// not an error. Throws StoreError.
inline Bucket open_bucket(jsCtx* js, const BucketSpec& spec) {
    namespace n = eh::detail::nats;
    kvStore* kv = nullptr;
    n::Status s = n::status(js_KeyValue(&kv, js, spec.name.c_str()));
    if (!s && s.not_found()) {
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = spec.name.c_str();
        cfg.History = 1;
        cfg.TTL = spec.ttl.count(); // nanoseconds: cnats copies it into the stream's MaxAge as it is
        cfg.StorageType = spec.memory ? js_MemoryStorage : js_FileStorage;
        cfg.Replicas = spec.replicas;
        s = n::status(js_CreateKeyValue(&kv, js, &cfg));
        if (!s) s = n::status(js_KeyValue(&kv, js, spec.name.c_str())); // created by someone else meanwhile
    }
    if (!s) throw StoreError("nats-js-kv: opening bucket " + spec.name + ": " + s.text);
    return Bucket(kv);
}

/// The index stream's info, the stream created when missing with the bucket's settings.
inline void ensure_index_stream(jsCtx* js, const BucketSpec& spec, const std::string& subjects) {
    namespace n = eh::detail::nats;
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* list[] = {subjects.c_str()};
    cfg.Name = spec.name.c_str();
    cfg.Subjects = list;
    cfg.SubjectsLen = 1;
    cfg.MaxAge = spec.ttl.count();
    cfg.Storage = spec.memory ? js_MemoryStorage : js_FileStorage;
    cfg.Replicas = spec.replicas;
    cfg.AllowDirect = true;
    jsStreamInfo* si = nullptr;
    jsErrCode code{};
    n::Status s = n::status(js_GetStreamInfo(&si, js, spec.name.c_str(), nullptr, &code), code);
    if (!s && s.not_found()) {
        s = n::status(js_AddStream(&si, js, &cfg, nullptr, &code), code);
        if (!s && s.is(JSStreamNameExistErr)) s = n::status(js_GetStreamInfo(&si, js, spec.name.c_str(), nullptr, &code), code);
    }
    n::StreamInfo owned(si);
    if (!s) throw StoreError("nats-js-kv: opening the index stream " + spec.name + ": " + s.text);
}

} // namespace eh::store::detail::nats_kv
