#pragma once
// Source: the YAML file given with --config. Sections nest their settings:
//     store:
//       type: nats-js-kv
//       nodes: [127.0.0.1:9233]
// Lists may be a sequence or a comma-separated string. An unknown key is an error, so that
// a misspelt setting is not silently ignored.
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "eh/config/draft.hpp"
#include "eh/config/error.hpp"
#include "eh/config/read_file.hpp"
#include "eh/config/reflect.hpp"

namespace eh::config {

namespace detail {

template <class S>
void reject_unknown_yaml_keys(const YAML::Node& root, std::string_view file) {
    std::set<std::string, std::less<>> sections, keys;
    for_each_field<S>([&](const Field& f) {
        sections.emplace(f.section);
        keys.insert(f.key);
    });
    auto fail = [&](const std::string& what) { throw ConfigError(std::string(file) + ": " + what); };
    if (!root.IsMap()) fail("expected a mapping of sections (events, store, ...)");
    for (const auto& section : root) {
        const auto name = section.first.Scalar();
        if (!sections.contains(name)) fail("unknown key \"" + name + "\"");
        if (section.second.IsNull()) continue;
        if (!section.second.IsMap()) fail("\"" + name + "\" must be a mapping of settings");
        for (const auto& setting : section.second)
            if (!keys.contains(name + "." + setting.first.Scalar()))
                fail("unknown key \"" + name + "." + setting.first.Scalar() + "\"");
    }
}

} // namespace detail

/// Applies a parsed YAML document; `file` names it in messages. An empty document sets nothing.
template <class S>
void apply_yaml(Draft<S>& draft, const YAML::Node& root, std::string_view file) {
    if (!root || root.IsNull()) return;
    detail::reject_unknown_yaml_keys<S>(root, file);
    for_each_setting(draft.settings(), [&](const Field& field, auto& value) {
        const YAML::Node section = root[std::string(field.section)];
        if (!section || section.IsNull()) return;
        const YAML::Node node = section[std::string(field.meta.name)];
        if (!node || node.IsNull()) return;
        const std::string source = std::string(file) + ": " + field.key;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (node.IsSequence()) {
                T items;
                for (const auto& item : node) {
                    if (!item.IsScalar()) throw ConfigError(source + ": list items must be plain values");
                    items.push_back(item.Scalar());
                }
                return draft.assign(field, value, std::move(items), source);
            }
        }
        if (!node.IsScalar()) throw ConfigError(source + ": expected a plain value");
        draft.set(field, value, node.Scalar(), source);
    });
}

/// Reads and applies the file at path.
template <class S>
void apply_yaml_file(Draft<S>& draft, const std::string& path) {
    std::string why;
    const auto text = detail::read_file(path, why);
    if (!text) throw ConfigError(path + ": cannot read: " + why);
    YAML::Node root;
    try {
        root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(path + ": " + e.what());
    }
    apply_yaml(draft, root, path);
}

} // namespace eh::config
