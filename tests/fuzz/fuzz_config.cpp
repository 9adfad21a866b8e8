// Any bytes as the YAML configuration file, then validation: a ConfigError or settings,
// never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include <yaml-cpp/yaml.h>

#include "eh/config/draft.hpp"
#include "eh/config/error.hpp"
#include "eh/config/validate.hpp"
#include "eh/config/yaml.hpp"

#include "../unit/config_stores.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception&) {
        return 0; // not YAML: yaml-cpp's to say, and the loader reports it as a ConfigError
    }
    try {
        using Stores = eh::test::DaemonLikeStores;
        eh::config::Draft<eh::config::SettingsFor<Stores>> draft;
        eh::config::apply_yaml(draft, root, "fuzz.yaml");
        eh::config::validate<Stores>(draft);
    } catch (const eh::config::ConfigError&) {
    }
    return 0;
}
