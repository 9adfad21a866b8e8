#pragma once
// Source: the environment, with ocis's variable names (docs/ocis-contract.md sections 4 to 6), each
// OCIS_X also as OpenCloud's OC_X (meta.hpp: env_names). Where a setting has several
// variables, a later one in its list wins where both are set, as in ocis (OC_X over OCIS_X,
// the service's own EVENTHISTORY_X over both); a variable set to the empty string counts as set.
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "eh/config/draft.hpp"
#include "eh/config/reflect.hpp"

namespace eh::config {

/// Looks a variable up; nullopt when it is not set. Tests pass their own.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

inline Environment process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        if (const char* v = std::getenv(std::string(name).c_str())) return v;
        return std::nullopt;
    };
}

template <class S>
void apply_environment(Draft<S>& draft, const Environment& env) {
    for_each_setting(draft.settings(), [&](const Field& field, auto& value) {
        std::optional<std::string> text;
        std::string from;
        for (const std::string& name : env_names(field.meta))
            if (auto v = env(name)) text = std::move(v), from = name;
        if (text) draft.set(field, value, *text, std::move(from));
    });
}

} // namespace eh::config
