#pragma once
// The one error a bad configuration raises. Its message is a single line that names the
// setting's source (env var, flag, YAML file and key); the daemon prints it and exits 2.
#include <stdexcept>

namespace eh::config {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace eh::config
