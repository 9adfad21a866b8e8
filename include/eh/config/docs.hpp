#pragma once
// docs/configuration.md, generated from the settings definition (program eh-config-docs; a
// unit test fails when the committed file differs).
#include <string>
#include <string_view>
#include <type_traits>

#include "eh/config/meta.hpp"
#include "eh/config/reflect.hpp"
#include "eh/config/value.hpp"

namespace eh::config {

namespace detail {

/// A markdown table cell: `|` would end it.
inline std::string cell(std::string_view s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

inline std::string code(std::string_view s) { return s.empty() ? std::string() : "`" + std::string(s) + "`"; }

} // namespace detail

/// Every setting, all at their defaults, as a YAML file (part of the docs; a test reads it back).
inline std::string yaml_example() {
    std::string out;
    std::string_view section;
    for_each_field([&](const Field& f) {
        if (f.section != section) out += std::string(section = f.section) + ":\n";
        const std::string value = f.meta.default_text.empty() ? "\"\"" : std::string(f.meta.default_text);
        out += "  " + std::string(f.meta.name) + ": " + value + "\n";
    });
    return out;
}

inline std::string markdown() {
    std::string out =
        "# Configuration reference\n"
        "\n"
        "<!-- Generated from include/eh/config/settings.hpp by eh-config-docs; do not edit. -->\n"
        "\n"
        "`eventhistoryd server` takes each setting from, in rising priority: its default, the YAML file given\n"
        "with `--config FILE`, the environment, its command-line flag. Where a setting has several environment\n"
        "variables, a later one in the list wins where both are set, as in ocis; the `OCIS_*` names are ocis's\n"
        "own, so the environment of an ocis deployment works unchanged, and each is also read as OpenCloud's\n"
        "`OC_*` name (which wins over it); the service's own `EVENTHISTORY_*` name wins over both.\n"
        "\n"
        "Durations are written as in Go (`336h`, `90m`, `2h45m10s`, `1.5h`, `300ms`), booleans as Go reads\n"
        "them (`true`/`false`, `1`/`0`, `t`/`f`), lists comma-separated (in YAML also as a sequence). A bad\n"
        "value, an unknown YAML key or flag, a malformed node list or an unreadable TLS file stops the daemon\n"
        "with exit status 2 and one line naming where the value came from.\n";
    std::string_view section;
    Settings types_only{};
    for_each_setting(types_only, [&](const Field& f, const auto& value) {
        using detail::cell, detail::code;
        using T = std::remove_cvref_t<decltype(value)>;
        if (f.section != section) {
            out += "\n## " + std::string(section = f.section) + "\n\n" + std::string(f.section_about) + "\n\n";
            out += "| setting | flag | environment variables | YAML key | default | description |\n";
            out += "|---|---|---|---|---|---|\n";
        }
        out += "| " + code(f.meta.name) + " (" + cell(std::string(Value<T>::type_name())) + ") | " + code(f.flag) +
               " | " + env_list(f.meta, "`") + " | " + code(f.key) + " | " + cell(code(f.meta.default_text)) + " | " +
               cell(f.meta.help) + " |\n";
    });
    out += "\n## Example\n\nEvery setting at its default, as a YAML file for `--config`:\n\n";
    out += "```yaml\n" + yaml_example() + "```\n";
    return out;
}

} // namespace eh::config
