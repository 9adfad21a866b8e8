// Configuration: Go durations, the sources and their priority (defaults < YAML < environment <
// flags), every ocis variable name (docs/ocis-contract.md sections 4 to 6), validation
// messages, the generated docs.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "eh/config/docs.hpp"
#include "eh/config/load.hpp"
#include "eh/config/store_settings.hpp"
#include "eh/config/summary.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/noop.hpp"
#include "eh/store/redis_sentinel_settings.hpp"

#include "config_stores.hpp"

using namespace std::chrono_literals;
namespace cfg = eh::config;

namespace {

/// A store from outside the framework with settings of its own, as a custom daemon would add
/// one to its list: nothing in eh::config names it.
struct ArchiveSettings {
    BOOST_HANA_DEFINE_STRUCT(ArchiveSettings,
        (std::string, path),
        (std::chrono::nanoseconds, flush_every));
    static constexpr std::string_view section = "archive";
    static constexpr std::string_view about = "The archive store.";
    static constexpr std::array meta{
        cfg::Meta{.name = "path", .default_text = "/var/lib/archive", .env = {"ARCHIVE_PATH", "EVENTHISTORY_ARCHIVE_PATH"},
                  .help = "Where the archive lives"},
        cfg::Meta{.name = "flush_every", .default_text = "5s", .env = {"EVENTHISTORY_ARCHIVE_FLUSH_EVERY"},
                  .help = "How often it is flushed"},
    };
};
struct ArchiveStore : eh::store::NoopStore {
    static constexpr std::string_view name = "archive";
    using Settings = ArchiveSettings;
    std::string path;
    static ArchiveStore make(const eh::store::StoreSettings&, const ArchiveSettings& own) {
        ArchiveStore s;
        s.path = own.path;
        return s;
    }
    static void check(const eh::store::StoreSettings&, const ArchiveSettings& own) {
        if (own.path.empty()) throw cfg::BadSetting("archive.path", "must not be empty");
    }
};

using AllStores = eh::store::StoreList<eh::store::MemoryStore, eh::store::NoopStore, eh::test::NatsKvStandIn,
                                       eh::test::RedisStandIn, ArchiveStore>;
using Settings = cfg::SettingsFor<AllStores>;
using MemoryAndNoop = eh::store::StoreList<eh::store::MemoryStore, eh::store::NoopStore>;

using Vars = std::map<std::string, std::string, std::less<>>;

cfg::Environment environment(const Vars& vars) {
    return [vars](std::string_view name) -> std::optional<std::string> {
        if (auto it = vars.find(name); it != vars.end()) return it->second;
        return std::nullopt;
    };
}

/// Runs the daemon's sequence: flags on an app, parse argv, load.
template <class Stores = AllStores>
cfg::SettingsFor<Stores> load(std::vector<std::string> args, const Vars& vars = {}) {
    CLI::App app("test");
    cfg::Flags<cfg::SettingsFor<Stores>> flags(app);
    args.insert(args.begin(), "eventhistoryd");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    cfg::parse_command_line(app, static_cast<int>(argv.size()), argv.data());
    return cfg::load<Stores>(flags, environment(vars));
}

/// The ConfigError message of load(), or "no error".
template <class Stores = AllStores>
std::string error_of(std::vector<std::string> args, const Vars& vars = {}) {
    try {
        load<Stores>(std::move(args), vars);
    } catch (const cfg::ConfigError& e) {
        return e.what();
    }
    return "no error";
}

/// A temporary directory, removed at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "eh-config-XXXXXX").string();
        path = ::mkdtemp(templ.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

/// A valid text for a setting of type T that differs from the default `current`.
template <class T>
std::string other_value(const T& current) {
    if constexpr (std::is_same_v<T, bool>) return current ? "false" : "true";
    else if constexpr (std::is_same_v<T, std::string>) return "sample-" + current;
    else if constexpr (std::is_same_v<T, std::vector<std::string>>) return "10.0.0.1:4222/m,10.0.0.2:4222/m";
    else if constexpr (std::is_same_v<T, std::chrono::nanoseconds>) return "7m30s";
    else if constexpr (std::is_unsigned_v<T>) return std::to_string(current + 2);
    else return std::string(cfg::Choices<T>::names[cfg::Choices<T>::names[0].second == current ? 1 : 0].first);
}

template <class T>
std::string text_of(const T& v) {
    return cfg::Value<T>::format(v);
}

/// text as the value of a setting of type T writes it back ("7m30s" -> "7m30s", "336h" -> "336h0m0s").
template <class T>
std::string canonical(const std::string& text, const T&) {
    return text_of(*cfg::Value<T>::parse(text));
}

/// The value of the setting `key`, written back as text.
std::string text_of(const Settings& settings, std::string_view key) {
    std::string out;
    cfg::for_each_setting(settings, [&](const cfg::Field& f, const auto& v) {
        if (f.key == key) out = text_of(v);
    });
    return out;
}

} // namespace

TEST_CASE("duration: Go's ParseDuration grammar") {
    const std::initializer_list<std::pair<std::string_view, std::chrono::nanoseconds>> good{
        {"336h", 336h},          {"90m", 90min},       {"2h45m10s", 2h + 45min + 10s},
        {"1.5h", 90min},         {"300ms", 300ms},     {"1us", 1us},
        {"1\u00b5s", 1us},       {"1\u03bcs", 1us},    {"1ns", 1ns},
        {"-1.5h", -90min},       {"+5s", 5s},          {"0", 0s},
        {"-0", 0s},              {".5s", 500ms},       {"1.s", 1s},
        {"1h1h", 2h},            {"0.000000001s", 1ns}, {"-9223372036854775808ns", std::chrono::nanoseconds::min()},
        {"2562047h47m16.854775807s", std::chrono::nanoseconds::max()},
    };
    for (const auto& [text, expected] : good) {
        CAPTURE(text);
        REQUIRE(cfg::parse_duration(text).has_value());
        CHECK(*cfg::parse_duration(text) == expected);
    }
    for (std::string_view bad : {"", "5", "1d", "h", ".", "-", "+", ".s", "1h2", "1.2.3s", "s5", " 1s", "1s ", "1 s",
                                 "1S", "9223372036854775808ns", "2562048h", "1e3s"}) {
        CAPTURE(bad);
        CHECK_FALSE(cfg::parse_duration(bad).has_value());
    }
}

TEST_CASE("duration: Go's Duration.String, and it reads back") {
    const std::initializer_list<std::pair<std::chrono::nanoseconds, std::string_view>> cases{
        {336h, "336h0m0s"},       {90s, "1m30s"},          {1500ms, "1.5s"},      {300ms, "300ms"},
        {1us, "1\u00b5s"},        {1ns, "1ns"},            {0s, "0s"},            {-90min, "-1h30m0s"},
        {2h + 45min + 10s, "2h45m10s"}, {100ms + 1ns, "100.000001ms"}, {1min + 1ns, "1m0.000000001s"},
        {std::chrono::nanoseconds::min(), "-2562047h47m16.854775808s"},
    };
    for (const auto& [d, text] : cases) {
        CAPTURE(text);
        CHECK(cfg::format_duration(d) == text);
        CHECK(cfg::parse_duration(text) == d);
    }
}

TEST_CASE("values: Go's booleans, unsigned integers, lists, choices") {
    for (auto t : {"1", "t", "T", "TRUE", "true", "True"}) CHECK(cfg::Value<bool>::parse(t) == true);
    for (auto f : {"0", "f", "F", "FALSE", "false", "False"}) CHECK(cfg::Value<bool>::parse(f) == false);
    for (auto bad : {"", "yes", "on", "tRUE", "2"}) CHECK_FALSE(cfg::Value<bool>::parse(bad).has_value());
    CHECK(cfg::Value<std::size_t>::parse("10000") == 10000u);
    for (auto bad : {"", "-1", "+1", "1k", " 1", "0x10", "99999999999999999999999"})
        CHECK_FALSE(cfg::Value<std::size_t>::parse(bad).has_value());
    CHECK(*cfg::Value<std::vector<std::string>>::parse(" a:1 ,, b:2,") == std::vector<std::string>{"a:1", "b:2"});
    CHECK(cfg::Value<std::vector<std::string>>::parse("")->empty());
    CHECK(cfg::Value<cfg::DeliverPolicy>::parse("new") == cfg::DeliverPolicy::new_only);
    CHECK_FALSE(cfg::Value<cfg::DeliverPolicy>::parse("New").has_value());
}

TEST_CASE("defaults: ocis's where it has one, ours otherwise") {
    const Settings s = load({});
    CHECK(s.events.endpoint == std::vector<std::string>{"127.0.0.1:9233"});
    CHECK(s.events.cluster == "ocis-cluster");
    CHECK_FALSE(s.events.enable_tls);
    CHECK(s.store.type == "memory");
    CHECK(s.store.database == "eventhistory");
    CHECK(s.store.table.empty());
    CHECK(s.store.ttl == 336h);
    CHECK(s.grpc.addr == "127.0.0.1:9274");
    CHECK(s.debug.addr == "127.0.0.1:9270");
    CHECK(s.log.level == spdlog::level::info);
    CHECK(s.consumer.name == "eventhistory");
    CHECK(s.consumer.deliver_policy == cfg::DeliverPolicy::all);
    CHECK(s.consumer.fetch_batch == 256);
    CHECK(s.consumer.max_ack_pending == 10000);
    CHECK(s.consumer.ack_wait == 30s);
    CHECK(s.stream.storage == cfg::StreamStorage::file);
    CHECK(s.grpc.max_ids_per_request == 10000);
    CHECK(s.grpc.max_message_bytes == 4u * 1024 * 1024);
    CHECK(s.section<eh::store::MemorySettings>().max_events == 0);
    CHECK(s.section<eh::store::MemorySettings>().max_bytes == 0);
    CHECK(s.registry.type == cfg::RegistryType::nats_js_kv);
    CHECK(s.registry.address == std::vector<std::string>{"127.0.0.1:9233"});
    CHECK(s.registry.ttl == 30s);
    CHECK(s.registry.interval == 25s);
    CHECK(s.registry.service_namespace == "com.owncloud.api");
    CHECK_FALSE(s.registry.disabled);
    CHECK_FALSE(s.grpc.disabled);
    CHECK_FALSE(s.events.disabled);
    CHECK_FALSE(s.grpc.tls_enabled);
    CHECK(s.grpc.max_in_flight == 64);
    CHECK_FALSE(s.log.pretty);
    CHECK_FALSE(s.log.color);
    CHECK(s.log.file.empty());
    CHECK(s.consumer.max_message_bytes == 8u << 20);
    CHECK(s.consumer.max_refusals == 3);
    CHECK(s.section<eh::store::RedisSentinelSettings>().min_replicas == 1);
    CHECK(s.section<eh::store::RedisSentinelSettings>().wait_timeout == 1s);
    CHECK(s.query.max_events == 50000);
    CHECK(s.query.max_candidates == 20000);
    CHECK(s.query.max_user_id_bytes == 256);
    CHECK(s.query.max_user_id_runs == 16);
    CHECK(s.debug.token.empty());
    CHECK_FALSE(s.debug.pprof);
    CHECK_FALSE(s.debug.zpages);
}

TEST_CASE("priority: defaults < YAML < environment < flags") {
    TempDir dir;
    const std::string yaml = dir.write("eh.yaml", "store:\n  ttl: 1h\n  table: from-yaml\n");
    const Vars env{{"EVENTHISTORY_STORE_TTL", "2h"}};
    CHECK(load({}).store.ttl == 336h);
    CHECK(load({"--config", yaml}).store.ttl == 1h);
    CHECK(load({"--config", yaml}, env).store.ttl == 2h);
    CHECK(load({"--config", yaml, "--store-ttl", "3h"}, env).store.ttl == 3h);
    CHECK(load({"--config", yaml, "--store-ttl=3h"}, env).store.table == "from-yaml"); // untouched by the others
    CHECK(load({"--store-ttl", "3h"}).store.ttl == 3h);
}

TEST_CASE("environment: every ocis variable name is read") {
    // docs/ocis-contract.md section 4, every name: the definition must not lose one.
    const std::set<std::string_view> interop{
        "OCIS_EVENTS_ENDPOINT",                "EVENTHISTORY_EVENTS_ENDPOINT",
        "OCIS_EVENTS_CLUSTER",                 "EVENTHISTORY_EVENTS_CLUSTER",
        "OCIS_EVENTS_ENABLE_TLS",              "EVENTHISTORY_EVENTS_ENABLE_TLS",
        "OCIS_INSECURE",                       "EVENTHISTORY_EVENTS_TLS_INSECURE",
        "OCIS_EVENTS_TLS_ROOT_CA_CERTIFICATE", "EVENTHISTORY_EVENTS_TLS_ROOT_CA_CERTIFICATE",
        "OCIS_EVENTS_AUTH_USERNAME",           "EVENTHISTORY_EVENTS_AUTH_USERNAME",
        "OCIS_EVENTS_AUTH_PASSWORD",           "EVENTHISTORY_EVENTS_AUTH_PASSWORD",
        "OCIS_PERSISTENT_STORE",               "EVENTHISTORY_STORE",
        "OCIS_PERSISTENT_STORE_NODES",         "EVENTHISTORY_STORE_NODES",
        "OCIS_CACHE_STORE_NODES",
        "EVENTHISTORY_STORE_DATABASE",         "EVENTHISTORY_STORE_TABLE",
        "OCIS_PERSISTENT_STORE_TTL",           "EVENTHISTORY_STORE_TTL",
        "OCIS_PERSISTENT_STORE_AUTH_USERNAME", "EVENTHISTORY_STORE_AUTH_USERNAME",
        "OCIS_PERSISTENT_STORE_AUTH_PASSWORD", "EVENTHISTORY_STORE_AUTH_PASSWORD",
        "OCIS_CACHE_DISABLE_PERSISTENCE",      "EVENTHISTORY_STORE_DISABLE_PERSISTENCE",
        "EVENTHISTORY_GRPC_ADDR",              "EVENTHISTORY_DEBUG_ADDR",
        "OCIS_LOG_LEVEL",                      "EVENTHISTORY_LOG_LEVEL",
        // Sections 5 and 6 (the registry, ocis's inter-service TLS, the rest of the surface).
        "MICRO_REGISTRY",                      "MICRO_REGISTRY_ADDRESS",
        "MICRO_REGISTRY_AUTH_USERNAME",        "MICRO_REGISTRY_AUTH_PASSWORD",
        "EXPERIMENTAL_REGISTER_TTL",           "EXPERIMENTAL_REGISTER_INTERVAL",
        "OCIS_GRPC_TLS_ENABLED",               "OCIS_GRPC_TLS_CERTIFICATE",
        "OCIS_GRPC_TLS_KEY",
        "EVENTHISTORY_GRPC_DISABLED",          "EVENTHISTORY_EVENTS_DISABLED",
        "OCIS_PERSISTENT_STORE_ENABLE_TLS",    "EVENTHISTORY_STORE_ENABLE_TLS",
        "OCIS_PERSISTENT_STORE_TLS_INSECURE",  "EVENTHISTORY_STORE_TLS_INSECURE",
        "OCIS_PERSISTENT_STORE_TLS_ROOT_CA_CERTIFICATE", "EVENTHISTORY_STORE_TLS_ROOT_CA_CERTIFICATE",
        "OCIS_LOG_PRETTY",                     "EVENTHISTORY_LOG_PRETTY",
        "OCIS_LOG_COLOR",                      "EVENTHISTORY_LOG_COLOR",
        "OCIS_LOG_FILE",                       "EVENTHISTORY_LOG_FILE",
        // OpenCloud's names for ocis's.
        "OC_EVENTS_ENDPOINT",                  "OC_PERSISTENT_STORE",
        "OC_INSECURE",                         "OC_GRPC_TLS_ENABLED",
        "OC_LOG_FILE",
        // The debug server as in newer ocis releases.
        "EVENTHISTORY_DEBUG_TOKEN",            "EVENTHISTORY_DEBUG_PPROF",
        "EVENTHISTORY_DEBUG_ZPAGES"};
    std::set<std::string> defined;
    cfg::for_each_field<Settings>([&](const cfg::Field& f) {
        for (const auto& name : cfg::env_names(f.meta)) defined.insert(name);
    });
    for (auto name : interop) {
        CAPTURE(name);
        CHECK(defined.contains(std::string(name)));
    }
    // Every OCIS_ name also as OC_.
    for (const auto& name : defined)
        if (name.starts_with("OCIS_")) CHECK(defined.contains("OC_" + name.substr(5)));
    // Each variable of each setting, alone, sets it (sources only: validation is tested below).
    const cfg::Draft<Settings> defaults;
    cfg::for_each_setting(defaults.settings(), [&](const cfg::Field& field, const auto& default_value) {
        for (const auto& name : cfg::env_names(field.meta)) {
            CAPTURE(name);
            cfg::Draft<Settings> draft;
            cfg::apply_environment(draft, environment({{std::string(name), other_value(default_value)}}));
            CHECK(draft.source(field.key) == name);
            CHECK(text_of(draft.settings(), field.key) ==
                  canonical(other_value(default_value), default_value));
        }
    });
}

TEST_CASE("environment: a later name in each list wins where both are set") {
    // All earlier names say the default, the last one something else: only "last wins" reads that.
    const cfg::Draft<Settings> defaults;
    cfg::for_each_setting(defaults.settings(), [&](const cfg::Field& field, const auto& default_value) {
        const auto names = cfg::env_names(field.meta);
        if (names.size() < 2) return;
        CAPTURE(field.key);
        Vars vars;
        std::string last;
        for (const auto& name : names) vars[last = name] = text_of(default_value);
        vars[last] = other_value(default_value);
        cfg::Draft<Settings> draft;
        cfg::apply_environment(draft, environment(vars));
        CHECK(draft.source(field.key) == last);
        CHECK(text_of(draft.settings(), field.key) ==
              canonical(other_value(default_value), default_value));
    });
    // Store nodes have three names; the ocis cache one has the lowest priority.
    CHECK(load({}, {{"OCIS_CACHE_STORE_NODES", "a:1"}, {"OCIS_PERSISTENT_STORE_NODES", "b:2"}}).store.nodes ==
          std::vector<std::string>{"b:2"});
    CHECK(load({}, {{"OCIS_PERSISTENT_STORE_NODES", "b:2"}, {"EVENTHISTORY_STORE_NODES", "c:3"}}).store.nodes ==
          std::vector<std::string>{"c:3"});
    CHECK(load({}, {{"OCIS_CACHE_STORE_NODES", "a:1"}}).store.nodes == std::vector<std::string>{"a:1"});
    // OpenCloud's OC_ name wins over ocis's OCIS_ one, the service's own over both.
    CHECK(load({}, {{"OCIS_EVENTS_ENDPOINT", "a:1"}, {"OC_EVENTS_ENDPOINT", "b:2"}}).events.endpoint ==
          std::vector<std::string>{"b:2"});
    CHECK(load({}, {{"OC_EVENTS_ENDPOINT", "b:2"}, {"EVENTHISTORY_EVENTS_ENDPOINT", "c:3"}}).events.endpoint ==
          std::vector<std::string>{"c:3"});
    CHECK(load({}, {{"OC_PERSISTENT_STORE", "noop"}}).store.type == "noop");
    CHECK(load({}, {{"OC_INSECURE", "true"}}).store.tls_insecure);
    CHECK(load({}, {{"OC_INSECURE", "true"}}).events.tls_insecure);
}

TEST_CASE("environment: a variable set to the empty string counts as set") {
    CHECK(load({}, {{"EVENTHISTORY_STORE_DATABASE", ""}}).store.database.empty());
    CHECK(error_of({}, {{"EVENTHISTORY_STORE_TTL", ""}}) == "EVENTHISTORY_STORE_TTL: bad duration \"\"");
}

TEST_CASE("log level: ocis's names; its fatal and panic mean critical") {
    using L = spdlog::level::level_enum;
    for (auto [name, level] : {std::pair{"error", L::err}, {"warn", L::warn}, {"info", L::info}, {"debug", L::debug},
                               {"trace", L::trace}, {"panic", L::critical}, {"fatal", L::critical}}) {
        CAPTURE(name);
        CHECK(load({}, {{"OCIS_LOG_LEVEL", name}}).log.level == level);
    }
    CHECK(error_of({"--log-level", "loud"}) ==
          "--log-level: bad value \"loud\" (expected trace|debug|info|warn|error|fatal|panic)");
}

TEST_CASE("YAML: sections nest settings; lists as sequence or comma string") {
    TempDir dir;
    const std::string file = dir.write("eh.yaml", R"(
events:
  endpoint: [nats-1:4222, "nats-2:4222"]
  enable_tls: false
consumer:
  deliver_policy: new
  ack_wait: 1m
store:
  type: redis-sentinel
  nodes: s1:26379/master, s2:26379/master
  table: ""
log:
  level: warn
grpc:
)");
    const Settings s = load({"--config", file});
    CHECK(s.events.endpoint == std::vector<std::string>{"nats-1:4222", "nats-2:4222"});
    CHECK(s.consumer.deliver_policy == cfg::DeliverPolicy::new_only);
    CHECK(s.consumer.ack_wait == 1min);
    CHECK(s.store.type == "redis-sentinel");
    CHECK(s.store.nodes == std::vector<std::string>{"s1:26379/master", "s2:26379/master"});
    CHECK(s.log.level == spdlog::level::warn);
    CHECK(s.grpc.addr == "127.0.0.1:9274"); // an empty section sets nothing
    CHECK(load({"--config", dir.write("empty.yaml", "")}).store.ttl == 336h);
}

TEST_CASE("YAML: errors name the file and the key") {
    TempDir dir;
    auto error_for = [&](const std::string& yaml) {
        const std::string file = dir.write("eh.yaml", yaml);
        std::string e = error_of({"--config", file});
        const auto at = e.find(file);
        return at == 0 ? "FILE" + e.substr(file.size()) : e;
    };
    CHECK(error_for("store:\n  ttl: 2x\n") == "FILE: store.ttl: bad duration \"2x\"");
    CHECK(error_for("store:\n  tll: 1h\n") == "FILE: unknown key \"store.tll\"");
    CHECK(error_for("stor:\n  ttl: 1h\n") == "FILE: unknown key \"stor\"");
    CHECK(error_for("store: memory\n") == "FILE: \"store\" must be a mapping of settings");
    CHECK(error_for("- a\n- b\n") == "FILE: expected a mapping of sections (events, store, ...)");
    CHECK(error_for("store:\n  ttl: [1h]\n") == "FILE: store.ttl: expected a plain value");
    CHECK(error_for("store:\n  nodes: [[a]]\n") == "FILE: store.nodes: list items must be plain values");
    CHECK(error_for("consumer:\n  fetch_batch: -3\n") == "FILE: consumer.fetch_batch: bad unsigned integer \"-3\"");
    CHECK(error_for("store: {ttl: 1h\n").starts_with("FILE: yaml-cpp: error at line"));
    const std::string missing = (dir.path / "missing.yaml").string();
    CHECK(error_of({"--config", missing}) == missing + ": cannot read: No such file or directory");
}

TEST_CASE("flags: one per setting; booleans also bare; unknown ones are a ConfigError") {
    CHECK(load({"--events-enable-tls", "--events-tls-insecure=false"}).events.enable_tls);
    CHECK_FALSE(load({"--events-enable-tls=false"}, {{"OCIS_EVENTS_ENABLE_TLS", "true"}}).events.enable_tls);
    CHECK(load({"--store-nodes", "a:1,b:2"}).store.nodes == std::vector<std::string>{"a:1", "b:2"});
    CHECK(load({"--consumer-fetch-batch", "32"}).consumer.fetch_batch == 32);
    CHECK(error_of({"--stor-ttl=1h"}) == "The following argument was not expected: --stor-ttl=1h");
    CHECK(error_of({"--store-ttl"}) == "--store-ttl: 1 required DURATION missing");
    CHECK(error_of({"--events-enable-tls=maybe"}) == "--events-enable-tls: bad boolean \"maybe\"");
}

TEST_CASE("flags: --help lists every setting with its flag, variables and default") {
    CLI::App app("test");
    cfg::Flags<Settings> flags(app);
    const char* argv[] = {"eventhistoryd", "--help"};
    CHECK_THROWS_AS(cfg::parse_command_line(app, 2, argv), CLI::CallForHelp);
    const std::string help = app.help();
    cfg::for_each_field<Settings>([&](const cfg::Field& f) {
        CAPTURE(f.key);
        CHECK(help.find(f.flag) != std::string::npos);
        CHECK(help.find(cfg::env_list(f.meta)) != std::string::npos);
    });
    CHECK(help.find("--store-ttl DURATION=336h") != std::string::npos);
    CHECK(help.find("--config FILE") != std::string::npos);
}

TEST_CASE("validation: one clear line per problem, naming where the value came from") {
    TempDir dir;
    const std::string cert = dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
    const std::string missing = (dir.path / "nope.pem").string();
    CHECK(error_of<MemoryAndNoop>({}, {{"EVENTHISTORY_STORE", "postgres"}}) ==
          "EVENTHISTORY_STORE: unknown store \"postgres\" (supported: memory, noop)");
    CHECK(error_of<MemoryAndNoop>({"--store-type", "nats-js-kv"}) ==
          "--store-type: unknown store \"nats-js-kv\" (supported: memory, noop)");
    CHECK(error_of({}, {{"EVENTHISTORY_STORE_TTL", "2x"}}) == "EVENTHISTORY_STORE_TTL: bad duration \"2x\"");
    CHECK(error_of({}, {{"OCIS_PERSISTENT_STORE_TTL", "14d"}}) == "OCIS_PERSISTENT_STORE_TTL: bad duration \"14d\"");
    CHECK(error_of({}, {{"OCIS_EVENTS_ENABLE_TLS", "yes"}}) == "OCIS_EVENTS_ENABLE_TLS: bad boolean \"yes\"");
    CHECK(error_of({}, {{"EVENTHISTORY_GRPC_MAX_IDS_PER_REQUEST", "10k"}}) ==
          "EVENTHISTORY_GRPC_MAX_IDS_PER_REQUEST: bad unsigned integer \"10k\"");
    CHECK(error_of({}, {{"EVENTHISTORY_CONSUMER_DELIVER_POLICY", "last"}}) ==
          "EVENTHISTORY_CONSUMER_DELIVER_POLICY: bad value \"last\" (expected all|new)");

    // Node lists.
    const Vars sentinel{{"EVENTHISTORY_STORE", "redis-sentinel"}};
    auto with = [](Vars v, std::string k, std::string x) { return v[k] = x, v; };
    CHECK(error_of({}, with(sentinel, "OCIS_PERSISTENT_STORE_NODES", "10.0.0.1:26379")) ==
          "OCIS_PERSISTENT_STORE_NODES: malformed node \"10.0.0.1:26379\" (redis-sentinel nodes are host:port/master)");
    CHECK(error_of({}, with(sentinel, "EVENTHISTORY_STORE_NODES", "a:1/m,b/m")) ==
          "EVENTHISTORY_STORE_NODES: malformed node \"b/m\" (redis-sentinel nodes are host:port/master)");
    CHECK(error_of({}, with(sentinel, "EVENTHISTORY_STORE_NODES", "a:1/")) ==
          "EVENTHISTORY_STORE_NODES: malformed node \"a:1/\" (redis-sentinel nodes are host:port/master)");
    CHECK(error_of({}, sentinel) == "store.nodes (default): no nodes (redis-sentinel nodes are host:port/master)");
    CHECK(load({}, with(sentinel, "EVENTHISTORY_STORE_NODES", "a:1/m, [::1]:26379/other")).store.nodes.size() == 2);
    CHECK(error_of({}, {{"OCIS_EVENTS_ENDPOINT", "nats-1"}}) ==
          "OCIS_EVENTS_ENDPOINT: malformed node \"nats-1\" (NATS nodes are host:port)");
    CHECK(error_of({}, {{"OCIS_EVENTS_ENDPOINT", " , "}}) ==
          "OCIS_EVENTS_ENDPOINT: no nodes (NATS nodes are host:port)");
    CHECK(load({}, {{"OCIS_CACHE_STORE_NODES", "anything"}}).store.type == "memory"); // memory has no nodes
    CHECK(error_of({"--debug-addr", "localhost"}) ==
          "--debug-addr: malformed address \"localhost\" (expected host:port)");
    CHECK(load({"--debug-addr", ":9270"}).debug.addr == ":9270");

    // TLS files: checked when they will be used, named when unreadable.
    CHECK(error_of({}, {{"OCIS_EVENTS_ENABLE_TLS", "true"}, {"OCIS_EVENTS_TLS_ROOT_CA_CERTIFICATE", missing}}) ==
          "OCIS_EVENTS_TLS_ROOT_CA_CERTIFICATE: cannot read \"" + missing + "\": No such file or directory");
    CHECK(load({}, {{"OCIS_EVENTS_TLS_ROOT_CA_CERTIFICATE", missing}}).events.tls_root_ca_certificate == missing);
    CHECK(error_of({"--grpc-tls-cert", cert, "--grpc-tls-key", missing}) ==
          "--grpc-tls-key: cannot read \"" + missing + "\": No such file or directory");
    CHECK(error_of({"--grpc-tls-cert", dir.path.string(), "--grpc-tls-key", cert}) ==
          "--grpc-tls-cert: cannot read \"" + dir.path.string() + "\": Is a directory");
    CHECK(error_of({"--grpc-tls-cert", cert}) == "--grpc-tls-cert: TLS needs both grpc.tls_cert and grpc.tls_key");
    CHECK(error_of({"--grpc-tls-client-ca", cert}) ==
          "--grpc-tls-client-ca: mutual TLS needs grpc.tls_enabled or grpc.tls_cert and grpc.tls_key as well");
    CHECK(load({"--grpc-tls-client-ca", cert, "--grpc-tls-enabled"}).grpc.tls_client_ca == cert);
    CHECK(load({}, {{"OCIS_GRPC_TLS_ENABLED", "true"}}).grpc.tls_enabled); // no certificate: a self-signed one
    CHECK(error_of({}, {{"OCIS_GRPC_TLS_CERTIFICATE", cert}, {"OCIS_GRPC_TLS_KEY", missing}}) ==
          "OCIS_GRPC_TLS_KEY: cannot read \"" + missing + "\": No such file or directory");
    CHECK(error_of({}, {{"OCIS_PERSISTENT_STORE_ENABLE_TLS", "true"},
                        {"OCIS_PERSISTENT_STORE_TLS_ROOT_CA_CERTIFICATE", missing}}) ==
          "OCIS_PERSISTENT_STORE_TLS_ROOT_CA_CERTIFICATE: cannot read \"" + missing + "\": No such file or directory");
    CHECK(error_of({"--store-enable-tls"}, with(sentinel, "EVENTHISTORY_STORE_NODES", "a:1/m")) ==
          "--store-enable-tls: redis-sentinel cannot use TLS in this build (Debian's hiredis 0.14 has none)");
    const Settings tls = load({"--grpc-tls-cert", cert, "--grpc-tls-key", cert, "--grpc-tls-client-ca", cert});
    CHECK(tls.grpc.tls_client_ca == cert);

    // Ranges.
    CHECK(error_of({"--consumer-fetch-batch", "0"}) == "--consumer-fetch-batch: must be at least 1, not 0");
    CHECK(error_of({}, {{"EVENTHISTORY_STREAM_REPLICAS", "7"}}) ==
          "EVENTHISTORY_STREAM_REPLICAS: must be between 1 and 5, not 7");
    CHECK(error_of({"--grpc-max-message-bytes", "4294967296"}) ==
          "--grpc-max-message-bytes: must be between 1 and 2147483647, not 4294967296");
    CHECK(error_of({"--store-ttl", "-1h"}) == "--store-ttl: must be positive, not -1h0m0s");
    CHECK(error_of({"--consumer-ack-wait", "0"}) == "--consumer-ack-wait: must be positive, not 0s");
    // A store's own settings are checked by the store, when it is the one chosen.
    CHECK(error_of({"--redis-wait-timeout", "500us"}, with(sentinel, "EVENTHISTORY_STORE_NODES", "a:1/m")) ==
          "--redis-wait-timeout: must be at least 1ms, not 500\u00b5s");
    CHECK(load({"--redis-wait-timeout", "500us"}).store.type == "memory");
    CHECK(error_of({}, {{"EVENTHISTORY_QUERY_MAX_EVENTS", "0"}}) ==
          "EVENTHISTORY_QUERY_MAX_EVENTS: must be at least 1, not 0");
    CHECK(error_of({"--consumer-max-refusals", "0"}) == "--consumer-max-refusals: must be at least 1, not 0");
    CHECK(load({"--redis-min-replicas", "0"}).section<eh::store::RedisSentinelSettings>().min_replicas ==
          0); // an operator's explicit choice
    CHECK(error_of({"--grpc-max-in-flight", "0"}) == "--grpc-max-in-flight: must be at least 1, not 0");
}

TEST_CASE("validation: the registry, and what excludes what") {
    // ocis's registry names: nats-js-kv and its two older names; memory registers nothing.
    for (auto name : {"nats-js-kv", "natsjs", "nats-js"}) {
        CAPTURE(name);
        CHECK(load({}, {{"MICRO_REGISTRY", name}}).registry.type == cfg::RegistryType::nats_js_kv);
    }
    CHECK(load({}, {{"MICRO_REGISTRY", "memory"}}).registry.type == cfg::RegistryType::memory);
    // What cannot work here is refused with one line.
    for (auto name : {"mdns", "etcd", "consul", "kubernetes", "nats", "zookeeper"}) {
        CAPTURE(name);
        CHECK(error_of({}, {{"MICRO_REGISTRY", name}}) ==
              "MICRO_REGISTRY: bad value \"" + std::string(name) +
                  "\" (expected nats-js-kv|natsjs|nats-js|memory; ocis's deprecated mdns, etcd, consul, kubernetes and "
                  "nats registries cannot work here)");
    }
    CHECK(error_of({}, {{"MICRO_REGISTRY_ADDRESS", "nats-1"}}) ==
          "MICRO_REGISTRY_ADDRESS: malformed node \"nats-1\" (registry nodes are host:port)");
    CHECK(load({}, {{"MICRO_REGISTRY_ADDRESS", "n1:9233,n2:9233"}}).registry.address.size() == 2);
    CHECK(error_of({}, {{"EXPERIMENTAL_REGISTER_INTERVAL", "30s"}}) ==
          "EXPERIMENTAL_REGISTER_INTERVAL: must be positive and shorter than registry.ttl (30s), not 30s");
    CHECK(error_of({}, {{"EXPERIMENTAL_REGISTER_TTL", "10s"}}) ==
          "registry.interval (default): must be positive and shorter than registry.ttl (10s), not 25s");
    CHECK(load({}, {{"EXPERIMENTAL_REGISTER_TTL", "2s"}, {"EXPERIMENTAL_REGISTER_INTERVAL", "500ms"}}).registry.ttl ==
          2s);
    CHECK(error_of({"--registry-service-namespace", ""}) == "--registry-service-namespace: must not be empty");
    CHECK(error_of({"--grpc-addr", "localhost"}) == "--grpc-addr: malformed address \"localhost\" (expected host:port)");
    // Registry settings are not checked when nothing registers.
    CHECK(load({"--registry-disabled"}, {{"MICRO_REGISTRY_ADDRESS", "nats-1"}}).registry.disabled);
    CHECK(load({"--grpc-disabled"}, {{"EXPERIMENTAL_REGISTER_TTL", "1s"}}).grpc.disabled);
    CHECK(load({}, {{"MICRO_REGISTRY", "memory"}, {"MICRO_REGISTRY_ADDRESS", "nats-1"}}).registry.address.size() == 1);

    CHECK(error_of({}, {{"EVENTHISTORY_GRPC_DISABLED", "true"}, {"EVENTHISTORY_EVENTS_DISABLED", "true"}}) ==
          "EVENTHISTORY_GRPC_DISABLED: gRPC and event consumption are both disabled (events.disabled): nothing would run");
    CHECK(load({}, {{"EVENTHISTORY_EVENTS_DISABLED", "true"}}).events.disabled);
}

TEST_CASE("store settings: what every store policy is made from") {
    const Settings s = load({"--store-type", "nats-js-kv", "--store-nodes", "n1:4222", "--store-table", "t",
                                  "--store-ttl", "90m", "--store-auth-username", "u", "--store-auth-password", "p",
                                  "--store-disable-persistence", "--store-replicas", "3", "--memory-max-events", "5",
                                  "--memory-max-bytes", "6", "--store-database", "db"});
    const eh::store::StoreSettings st = cfg::to_store_settings(s);
    CHECK(st.nodes == std::vector<std::string>{"n1:4222"});
    CHECK(st.database == "db");
    CHECK(st.table == "t");
    CHECK(st.ttl == 90min);
    CHECK(st.username == "u");
    CHECK(st.password == "p");
    CHECK(st.disable_persistence);
    CHECK(st.replicas == 3);
    // What one store needs is its own section, handed to its make() alone.
    CHECK(cfg::make_store<eh::store::MemoryStore>(s).options().max_events == 5);
    CHECK(cfg::make_store<eh::store::MemoryStore>(s).options().max_bytes == 6);
    // The events connection goes along: a store may live on it (nats-js-kv without nodes).
    const eh::store::StoreSettings on_events = cfg::to_store_settings(
        load({"--events-endpoint", "e1:4222", "--events-auth-username", "eu", "--events-enable-tls"}));
    CHECK(on_events.events.nodes == std::vector<std::string>{"e1:4222"});
    CHECK(on_events.events.username == "eu");
    CHECK(on_events.events.tls.enable);
    CHECK_FALSE(on_events.tls.enable); // the store's own TLS is off unless set
}

TEST_CASE("store settings: a store's own section is read from every source, checked by the store, documented") {
    using eh::store::MemoryStore;
    TempDir dir;
    const std::string yaml = dir.write("eh.yaml", "archive:\n  path: /from/yaml\n");
    CHECK(load({}).section<ArchiveSettings>().path == "/var/lib/archive");
    CHECK(load({}).section<ArchiveSettings>().flush_every == 5s);
    CHECK(load({"--config", yaml}).section<ArchiveSettings>().path == "/from/yaml");
    CHECK(load({"--config", yaml}, {{"ARCHIVE_PATH", "/from/env"}}).section<ArchiveSettings>().path == "/from/env");
    CHECK(load({"--archive-path", "/from/flag"}, {{"EVENTHISTORY_ARCHIVE_PATH", "/e"}}).section<ArchiveSettings>().path ==
          "/from/flag");
    CHECK(cfg::make_store<ArchiveStore>(load({"--archive-path", "/p"})).path == "/p");
    // Its check runs when it is the store chosen, and names where the value came from.
    CHECK(error_of({"--store-type", "archive"}, {{"EVENTHISTORY_ARCHIVE_PATH", ""}}) ==
          "EVENTHISTORY_ARCHIVE_PATH: must not be empty");
    CHECK(load({}, {{"EVENTHISTORY_ARCHIVE_PATH", ""}}).store.type == "memory");
    CHECK(error_of({}, {{"EVENTHISTORY_ARCHIVE_FLUSH_EVERY", "soon"}}) ==
          "EVENTHISTORY_ARCHIVE_FLUSH_EVERY: bad duration \"soon\"");
    // A daemon without that store knows nothing of its settings.
    CHECK(error_of<MemoryAndNoop>({"--archive-path=/p"}) == "The following argument was not expected: --archive-path=/p");
    CHECK(error_of<MemoryAndNoop>({"--config", yaml}) == yaml + ": unknown key \"archive\"");
    // Outside the daemon, a section's defaults come from its definition.
    CHECK(cfg::defaults<ArchiveSettings>().flush_every == 5s);
    CHECK(cfg::defaults<eh::store::RedisSentinelSettings>().wait_timeout == 1s);
}

TEST_CASE("summary: every setting on one line, secrets masked") {
    const std::string line = cfg::summary(
        load({"--events-auth-password", "hunter2", "--store-ttl", "90m", "--consumer-deliver-policy", "new"}));
    CHECK(line.find("hunter2") == std::string::npos);
    CHECK(line.find("events.auth_password=*** ") != std::string::npos);
    CHECK(line.find("store.auth_password= ") != std::string::npos); // not set: shown empty
    CHECK(line.find("store.ttl=1h30m0s") != std::string::npos);
    CHECK(line.find("consumer.deliver_policy=new") != std::string::npos);
    CHECK(line.find("log.level=info") != std::string::npos);
    CHECK(line.find('\n') == std::string::npos);

    // A token in a URL, or the debug token, never shows.
    const std::string with_token = cfg::summary(load({"--events-endpoint", "nats://s3cr3t@n1:4222,tls://u:pw@n2:4222",
                                                      "--debug-token", "dbg-t0ken"}));
    CHECK(with_token.find("s3cr3t") == std::string::npos);
    CHECK(with_token.find("pw@") == std::string::npos);
    CHECK(with_token.find("dbg-t0ken") == std::string::npos);
    CHECK(with_token.find("events.endpoint=nats://***@n1:4222,tls://***@n2:4222 ") != std::string::npos);
    CHECK(with_token.find("debug.token=*** ") != std::string::npos);
}

TEST_CASE("docs: the reference lists every setting, the stores' own too") {
    // docs/configuration.md itself is checked against eventhistoryd's settings by the
    // config_docs test (apps/eventhistoryd/config_docs.cpp).
    const std::string generated = cfg::markdown<Settings>();
    cfg::for_each_field<Settings>([&](const cfg::Field& f) {
        CAPTURE(f.key);
        CHECK(generated.find(cfg::env_list(f.meta, "`")) != std::string::npos);
        CHECK(generated.find("`" + f.flag + "`") != std::string::npos);
    });
    CHECK(generated.find("\n## archive\n\nThe archive store.\n") != std::string::npos);
}

TEST_CASE("docs: the YAML example holds every setting at its default and reads back") {
    TempDir dir;
    const std::string file = dir.write("example.yaml", cfg::yaml_example<Settings>());
    CHECK(cfg::summary(load({"--config", file})) == cfg::summary(load({})));
    cfg::Draft<Settings> draft;
    cfg::apply_yaml_file(draft, file);
    cfg::for_each_field<Settings>([&](const cfg::Field& f) { CHECK(draft.source(f.key) == file + ": " + f.key); });
}
