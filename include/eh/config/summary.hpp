#pragma once
// The effective settings on one line ("events.endpoint=127.0.0.1:9233 store.ttl=336h0m0s ..."),
// for the daemon's start-up log. Secrets show only whether they are set.
#include <string>
#include <type_traits>

#include "eh/config/reflect.hpp"
#include "eh/config/value.hpp"

namespace eh::config {

inline std::string summary(const Settings& settings) {
    std::string out;
    for_each_setting(settings, [&](const Field& field, const auto& value) {
        using T = std::remove_cvref_t<decltype(value)>;
        std::string text = Value<T>::format(value);
        if (field.meta.secret && !text.empty()) text = "***";
        out += (out.empty() ? "" : " ") + field.key + "=" + text;
    });
    return out;
}

} // namespace eh::config
