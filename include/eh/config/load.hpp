#pragma once
// The whole configuration, in rising priority: defaults < YAML file (--config) < environment
// < command-line flags; then validation. The daemon:
//
//     CLI::App app; auto* server = app.add_subcommand("server", ...);
//     eh::config::Flags flags(*server);
//     eh::config::parse_command_line(app, argc, argv);   // CLI::Success: --help; ConfigError: exit 2
//     eh::config::Settings settings = eh::config::load(flags, store_names);
#include <span>
#include <string_view>

#include "eh/config/draft.hpp"
#include "eh/config/env.hpp"
#include "eh/config/flags.hpp"
#include "eh/config/settings.hpp"
#include "eh/config/validate.hpp"
#include "eh/config/yaml.hpp"

namespace eh::config {

/// Throws ConfigError (one line) on any bad source or value. `stores`: the store names the
/// caller can build.
inline Settings load(const Flags& flags, std::span<const std::string_view> stores,
                     const Environment& env = process_environment()) {
    Draft draft;
    if (!flags.config_file().empty()) apply_yaml_file(draft, flags.config_file());
    apply_environment(draft, env);
    flags.apply(draft);
    validate(draft, stores);
    return draft.settings();
}

} // namespace eh::config
