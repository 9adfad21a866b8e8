#pragma once
// Finding a JetStream stream, or creating it the way ocis does when it is missing.
#include <string>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"

namespace eh::detail::nats {

struct StreamSpec {
    std::string name;
    std::string subject;
    jsStorageType storage = js_FileStorage;
    int replicas = 1;
};

/// The stream's info; a missing stream is created as ocis creates it (only name and subject
/// set: limits retention, no max age) with the given storage and replicas. Creating one that
/// another process created meanwhile is not an error.
inline Status ensure_stream(jsCtx* js, const StreamSpec& spec, jsOptions& api, StreamInfo& out) {
    jsStreamInfo* si = nullptr;
    jsErrCode code{};
    Status s = status(js_GetStreamInfo(&si, js, spec.name.c_str(), &api, &code), code);
    if (s || !s.not_found()) {
        out.reset(si);
        return s;
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {spec.subject.c_str()};
    cfg.Name = spec.name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = js_LimitsPolicy;
    cfg.Storage = spec.storage;
    cfg.Replicas = spec.replicas;
    s = status(js_AddStream(&si, js, &cfg, &api, &code), code);
    if (!s && s.is(JSStreamNameExistErr)) s = status(js_GetStreamInfo(&si, js, spec.name.c_str(), &api, &code), code);
    out.reset(si);
    return s;
}

} // namespace eh::detail::nats
