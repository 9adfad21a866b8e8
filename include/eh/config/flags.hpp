#pragma once
// Source: the command line. One flag per setting (`--store-ttl 90m`; booleans also bare:
// `--events-enable-tls`), plus `--config FILE`, added to the caller's CLI11 app so that the
// daemon's `server` command carries them and `--help` lists them with their variables.
#include <map>
#include <string>
#include <string_view>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "eh/config/draft.hpp"
#include "eh/config/error.hpp"
#include "eh/config/meta.hpp"
#include "eh/config/reflect.hpp"
#include "eh/config/value.hpp"

namespace eh::config {

/// S: the settings the flags are for (AllSettings).
template <AllSettings S>
class Flags {
public:
    explicit Flags(CLI::App& app) {
        app.add_option("--config", config_file_, "YAML file of settings (keys as in docs/configuration.md)")
            ->type_name("FILE");
        S types_only{};
        for_each_setting(types_only, [&](const Field& field, const auto& value) {
            using T = std::remove_cvref_t<decltype(value)>;
            Given& given = given_[field.key];
            const std::string help = std::string(field.meta.help) + " (env " + env_list(field.meta) + ")";
            given.option = std::is_same_v<T, bool> ? app.add_flag(field.flag, given.text, help)
                                                   : app.add_option(field.flag, given.text, help);
            given.option->type_name(std::string(Value<T>::type_name()))
                ->default_str(std::string(field.meta.default_text))
                ->group(std::string(field.section) + " settings");
        });
    }
    // CLI11 writes into this object's members: it stays where the app saw it.
    Flags(const Flags&) = delete;
    Flags& operator=(const Flags&) = delete;

    /// The --config argument; empty when not given.
    const std::string& config_file() const noexcept { return config_file_; }

    /// Applies the flags given on the command line (after CLI::App::parse).
    void apply(Draft<S>& draft) const {
        for_each_setting(draft.settings(), [&](const Field& field, auto& value) {
            const Given& given = given_.find(field.key)->second;
            if (given.option->count() > 0) draft.set(field, value, given.text, field.flag);
        });
    }

private:
    struct Given {
        std::string text;
        CLI::Option* option = nullptr;
    };
    std::string config_file_;
    std::map<std::string, Given, std::less<>> given_;
};

/// CLI::App::parse, with a bad command line (unknown flag, missing value) turned into a
/// ConfigError. CLI::Success (--help) passes through: the caller prints it with app.exit().
inline void parse_command_line(CLI::App& app, int argc, const char* const* argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success&) {
        throw;
    } catch (const CLI::ParseError& e) {
        throw ConfigError(e.what());
    }
}

} // namespace eh::config
