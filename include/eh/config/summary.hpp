#pragma once
// The effective settings on one line ("events.endpoint=127.0.0.1:9233 store.ttl=336h0m0s ..."),
// for the daemon's start-up log. Secrets show only whether they are set, and URLs lose their
// user info (a token in "nats://TOKEN@host").
#include <string>
#include <type_traits>

#include "eh/config/reflect.hpp"
#include "eh/config/value.hpp"
#include "eh/detail/redact.hpp"

namespace eh::config {

template <AllSettings S>
std::string summary(const S& settings) {
    std::string out;
    for_each_setting(settings, [&](const Field& field, const auto& value) {
        using T = std::remove_cvref_t<decltype(value)>;
        std::string text = eh::detail::redact_urls(Value<T>::format(value)); // "nats://TOKEN@host" too
        if (field.meta.secret && !text.empty()) text = "***";
        out += (out.empty() ? "" : " ") + field.key + "=" + text;
    });
    return out;
}

} // namespace eh::config
