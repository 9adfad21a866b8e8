#pragma once
// What the settings definition says about each member beside its type and name.
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace eh::config {

struct Meta {
    std::string_view name;                 ///< the member it describes (checked at compile time)
    std::string_view default_text;         ///< read like every other source, so it must parse
    std::array<std::string_view, 3> env{}; ///< environment variables; a later one wins where both are set
    std::string_view help;
    bool secret = false;                   ///< never printed back (summary)
};

/// The environment variables a setting is read from, lowest priority first: its env list,
/// each OCIS_X followed by OpenCloud's OC_X (OpenCloud, the ocis fork, renamed the prefix).
inline std::vector<std::string> env_names(const Meta& meta) {
    std::vector<std::string> out;
    for (std::string_view name : meta.env) {
        if (name.empty()) continue;
        out.emplace_back(name);
        if (name.starts_with("OCIS_")) out.push_back("OC_" + std::string(name.substr(5)));
    }
    return out;
}

/// The environment variables joined with ", ", each between `quote`s: "A, B" or "`A`, `B`".
inline std::string env_list(const Meta& meta, std::string_view quote = "") {
    std::string out;
    for (const std::string& name : env_names(meta))
        out += (out.empty() ? "" : ", ") + std::string(quote) + name + std::string(quote);
    return out;
}

} // namespace eh::config
