#pragma once
// The whole configuration, in rising priority: defaults < YAML file (--config) < environment
// < command-line flags; then validation. The daemon:
//
//     using Stores = eh::store::StoreList<eh::store::MemoryStore, ...>;
//     using Settings = eh::config::SettingsFor<Stores>;   // the core sections + the stores' own
//     CLI::App app; auto* server = app.add_subcommand("server", ...);
//     eh::config::Flags<Settings> flags(*server);
//     eh::config::parse_command_line(app, argc, argv);   // CLI::Success: --help; ConfigError: exit 2
//     Settings settings = eh::config::load<Stores>(flags);
#include "eh/config/draft.hpp"
#include "eh/config/env.hpp"
#include "eh/config/flags.hpp"
#include "eh/config/store_settings.hpp"
#include "eh/config/validate.hpp"
#include "eh/config/yaml.hpp"

namespace eh::config {

/// Throws ConfigError (one line) on any bad source or value. Stores: the store list of the
/// daemon (eh::store::StoreList), whose names --store-type accepts and whose own settings
/// are read too.
template <class Stores>
SettingsFor<Stores> load(const Flags<SettingsFor<Stores>>& flags, const Environment& env = process_environment()) {
    Draft<SettingsFor<Stores>> draft;
    if (!flags.config_file().empty()) apply_yaml_file(draft, flags.config_file());
    apply_environment(draft, env);
    flags.apply(draft);
    validate<Stores>(draft);
    return draft.settings();
}

} // namespace eh::config
