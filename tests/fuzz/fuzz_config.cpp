// Any bytes as the YAML configuration file, then validation: a ConfigError or settings,
// never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "eh/config/draft.hpp"
#include "eh/config/error.hpp"
#include "eh/config/validate.hpp"
#include "eh/config/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception&) {
        return 0; // not YAML: yaml-cpp's to say, and the loader reports it as a ConfigError
    }
    try {
        eh::config::Draft draft;
        eh::config::apply_yaml(draft, root, "fuzz.yaml");
        const std::string_view stores[] = {"memory", "noop", "redis-sentinel", "nats-js-kv"};
        eh::config::validate(draft, stores);
    } catch (const eh::config::ConfigError&) {
    }
    return 0;
}
