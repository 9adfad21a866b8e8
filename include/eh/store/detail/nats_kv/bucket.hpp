#pragma once
// Opening the records' bucket (eh/detail/natsjskv/bucket.hpp: created when missing as
// go-micro's nats-js-kv store does for ocis, with the store's TTL, storage and replicas;
// get() relies on cnats creating it with AllowDirect), and the index stream (index.hpp) beside
// it, created with the same settings.
#include <chrono>
#include <string>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"
#include "eh/detail/natsjskv/bucket.hpp"
#include "eh/error.hpp"

namespace eh::store::detail::nats_kv {

using eh::detail::natsjskv::Bucket;
using eh::detail::natsjskv::BucketSpec;

/// The records' bucket, created when missing. Throws StoreError.
inline Bucket open_bucket(jsCtx* js, const BucketSpec& spec) {
    eh::detail::nats::Status why;
    Bucket b = eh::detail::natsjskv::open_bucket(js, spec, why);
    if (!b) throw StoreError("nats-js-kv: opening bucket " + spec.name + ": " + why.text);
    return b;
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
