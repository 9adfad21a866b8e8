#pragma once
// cnats reports failure as a status plus a thread-local text (and, for JetStream API calls,
// an error code). Status captures all three right after the call, before another call
// on the same thread overwrites the text.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nats/nats.h>

namespace eh::detail::nats {

struct Status {
    natsStatus status = NATS_OK;
    jsErrCode code{}; ///< JetStream API error code, e.g. JSConsumerNotFoundErr; 0 if none
    std::string text;

    explicit operator bool() const noexcept { return status == NATS_OK; }
    bool is(jsErrCode c) const noexcept { return code == c; }
    /// The stream or consumer asked about does not exist (cnats says so either way).
    bool not_found() const noexcept {
        return status == NATS_NOT_FOUND || code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr;
    }
};

inline Status status(natsStatus s, jsErrCode code = jsErrCode{}) {
    if (s == NATS_OK) return {};
    const char* last = nats_GetLastError(nullptr);
    std::string text = last != nullptr && *last != '\0' ? last : natsStatus_GetText(s);
    // cnats prefixes where in its sources the error arose: "(jsm.c:2867): stream not found".
    if (const auto end = text.find("): "); text.starts_with('(') && end != std::string::npos) text.erase(0, end + 3);
    if (code != jsErrCode{}) text += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    return {s, code, std::move(text)};
}

/// For calls that fail only on bad input (options, TLS files): the caller's mistake, thrown.
inline void require(natsStatus s, std::string_view what) {
    if (s != NATS_OK) throw std::invalid_argument("NATS: " + std::string(what) + ": " + status(s).text);
}

} // namespace eh::detail::nats
