#pragma once
// The errors a bad configuration raises. ConfigError's message is a single line that names
// the setting's source (env var, flag, YAML file and key); the daemon prints it and exits 2.
#include <stdexcept>
#include <string>
#include <utility>

namespace eh::config {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A value refused by a check that knows the setting but not where its value came from (a
/// store's check(), eh/config/store_settings.hpp); validate() turns it into a ConfigError that
/// names the source.
struct BadSetting : std::invalid_argument {
    BadSetting(std::string key, const std::string& problem) : std::invalid_argument(problem), key(std::move(key)) {}
    std::string key; ///< "store.nodes"
};

} // namespace eh::config
