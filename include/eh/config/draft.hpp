#pragma once
// Settings being assembled from the sources, lowest priority first, remembering where each
// value came from so that a later complaint can name it.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "eh/config/error.hpp"
#include "eh/config/reflect.hpp"
#include "eh/config/value.hpp"

namespace eh::config {

/// S: the settings being assembled (AllSettings: the core ones and those stores add).
template <AllSettings S>
class Draft {
public:
    /// Every setting at its default.
    Draft() {
        for_each_setting(settings_, [&](const Field& f, auto& value) {
            set(f, value, f.meta.default_text, f.key + " (default)");
        });
    }

    /// Sets one member of settings() from text; text that does not parse throws
    /// ConfigError `<source>: bad <what> "<text>"`, plus the choices where there are some.
    template <class T>
    void set(const Field& field, T& member, std::string_view text, std::string source) {
        auto parsed = Value<T>::parse(text);
        if (!parsed) {
            std::string message = source + ": bad " + Value<T>::what() + " \"" + std::string(text) + "\"";
            if constexpr (requires { Value<T>::hint(); }) message += Value<T>::hint();
            throw ConfigError(message);
        }
        assign(field, member, std::move(*parsed), std::move(source));
    }

    /// Sets one member of settings() to a value already read.
    template <class T>
    void assign(const Field& field, T& member, std::type_identity_t<T> value, std::string source) {
        member = std::move(value);
        sources_[field.key] = std::move(source);
    }

    S& settings() noexcept { return settings_; }
    const S& settings() const noexcept { return settings_; }

    /// Where the setting `key` ("store.ttl") got its value: "EVENTHISTORY_STORE_TTL",
    /// "--store-ttl", "<file>: store.ttl" or "store.ttl (default)".
    const std::string& source(std::string_view key) const {
        if (const std::string* s = find_source(key)) return *s;
        throw std::logic_error("eh::config: no setting " + std::string(key));
    }
    /// The same, or nullptr when key names no setting.
    const std::string* find_source(std::string_view key) const {
        auto it = sources_.find(key);
        return it == sources_.end() ? nullptr : &it->second;
    }

private:
    S settings_{};
    std::map<std::string, std::string, std::less<>> sources_;
};

/// A section at its defaults: a store's own settings, say, for its make() outside the daemon.
template <class Section>
Section defaults() {
    return Draft<SettingsWith<Section>>().settings().template section<Section>();
}

} // namespace eh::config
