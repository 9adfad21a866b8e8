#pragma once
// The definition of eventhistoryd's settings: sections of members (Hana-reflected) with one
// Meta row per member. It drives the defaults, the YAML file, the environment, the flags,
// --help and docs/configuration.md; adding a setting means adding a member and its row here.
// A store's own settings (memory.*, redis.*) are declared by the store (eh::HasOwnSettings)
// and join these in SettingsWith (eh/config/store_settings.hpp: SettingsFor<StoreList>).
//
// Derived from the names: the YAML key is `<section>.<member>`, the flag
// `--<section>-<member>` (underscores become dashes).
#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>
#include <spdlog/common.h>

#include "eh/config/meta.hpp"
#include "eh/config/value.hpp"
#include "eh/transport/consumer_choices.hpp"

namespace eh::config {

using transport::DeliverPolicy;
using transport::StreamStorage;
/// `automatic`: `instance` for stores private to the process (memory, noop), else `shared`.
enum class ConsumerModeChoice { automatic, shared, instance };
/// MICRO_REGISTRY values that can work here; `memory` is accepted and registers nothing.
enum class RegistryType { nats_js_kv, memory };

template <>
struct Choices<DeliverPolicy> {
    static constexpr std::array names{std::pair{std::string_view("all"), DeliverPolicy::all},
                                      std::pair{std::string_view("new"), DeliverPolicy::new_only}};
};
template <>
struct Choices<ConsumerModeChoice> {
    static constexpr std::array names{std::pair{std::string_view("auto"), ConsumerModeChoice::automatic},
                                      std::pair{std::string_view("shared"), ConsumerModeChoice::shared},
                                      std::pair{std::string_view("instance"), ConsumerModeChoice::instance}};
};
template <>
struct Choices<StreamStorage> {
    static constexpr std::array names{std::pair{std::string_view("file"), StreamStorage::file},
                                      std::pair{std::string_view("memory"), StreamStorage::memory}};
};
/// ocis's names (natsjs and nats-js are its older names of nats-js-kv).
template <>
struct Choices<RegistryType> {
    static constexpr std::array names{std::pair{std::string_view("nats-js-kv"), RegistryType::nats_js_kv},
                                      std::pair{std::string_view("natsjs"), RegistryType::nats_js_kv},
                                      std::pair{std::string_view("nats-js"), RegistryType::nats_js_kv},
                                      std::pair{std::string_view("memory"), RegistryType::memory}};
    static constexpr std::string_view note =
        "ocis's deprecated mdns, etcd, consul, kubernetes and nats registries cannot work here";
};
/// ocis's (zerolog) level names; its "fatal" and "panic" both mean spdlog's critical.
template <>
struct Choices<spdlog::level::level_enum> {
    using L = spdlog::level::level_enum;
    static constexpr std::array names{std::pair{std::string_view("trace"), L::trace},
                                      std::pair{std::string_view("debug"), L::debug},
                                      std::pair{std::string_view("info"), L::info},
                                      std::pair{std::string_view("warn"), L::warn},
                                      std::pair{std::string_view("error"), L::err},
                                      std::pair{std::string_view("fatal"), L::critical},
                                      std::pair{std::string_view("panic"), L::critical}};
};

struct EventsSection {
    BOOST_HANA_DEFINE_STRUCT(EventsSection,
        (std::vector<std::string>, endpoint),
        (std::string, cluster),
        (bool, enable_tls),
        (bool, tls_insecure),
        (std::string, tls_root_ca_certificate),
        (std::string, auth_username),
        (std::string, auth_password),
        (bool, disabled));

    static constexpr std::string_view about = "The NATS JetStream connection events are read from.";
    static constexpr std::array meta{
        Meta{.name = "endpoint", .default_text = "127.0.0.1:9233",
             .env = {"OCIS_EVENTS_ENDPOINT", "EVENTHISTORY_EVENTS_ENDPOINT"},
             .help = "NATS servers, comma-separated host:port (nats:// or tls:// prefix allowed)"},
        Meta{.name = "cluster", .default_text = "ocis-cluster",
             .env = {"OCIS_EVENTS_CLUSTER", "EVENTHISTORY_EVENTS_CLUSTER"},
             .help = "NATS cluster name, as ocis names it"},
        Meta{.name = "enable_tls", .default_text = "false",
             .env = {"OCIS_EVENTS_ENABLE_TLS", "EVENTHISTORY_EVENTS_ENABLE_TLS"},
             .help = "Connect to NATS over TLS"},
        Meta{.name = "tls_insecure", .default_text = "false",
             .env = {"OCIS_INSECURE", "EVENTHISTORY_EVENTS_TLS_INSECURE"},
             .help = "Skip verifying the NATS server's certificate"},
        Meta{.name = "tls_root_ca_certificate", .default_text = "",
             .env = {"OCIS_EVENTS_TLS_ROOT_CA_CERTIFICATE", "EVENTHISTORY_EVENTS_TLS_ROOT_CA_CERTIFICATE"},
             .help = "PEM file of the CA that signed the NATS server's certificate (with TLS enabled)"},
        Meta{.name = "auth_username", .default_text = "",
             .env = {"OCIS_EVENTS_AUTH_USERNAME", "EVENTHISTORY_EVENTS_AUTH_USERNAME"},
             .help = "NATS user name"},
        Meta{.name = "auth_password", .default_text = "",
             .env = {"OCIS_EVENTS_AUTH_PASSWORD", "EVENTHISTORY_EVENTS_AUTH_PASSWORD"},
             .help = "NATS password", .secret = true},
        Meta{.name = "disabled", .default_text = "false", .env = {"EVENTHISTORY_EVENTS_DISABLED"},
             .help = "Consume no events: only serve what the store holds over gRPC (not with grpc.disabled)"},
    };
};

struct ConsumerSection {
    BOOST_HANA_DEFINE_STRUCT(ConsumerSection,
        (std::string, name),
        (ConsumerModeChoice, mode),
        (DeliverPolicy, deliver_policy),
        (std::size_t, fetch_batch),
        (std::size_t, max_ack_pending),
        (std::chrono::nanoseconds, ack_wait),
        (std::size_t, max_message_bytes),
        (std::size_t, max_refusals));

    static constexpr std::string_view about =
        "The JetStream pull consumer. Instances with a shared store (nats-js-kv, redis-sentinel) share the durable "
        "consumer `name`; with `memory` each instance reads every event through a consumer of its own.";
    static constexpr std::array meta{
        Meta{.name = "name", .default_text = "eventhistory", .env = {"EVENTHISTORY_CONSUMER_NAME"},
             .help = "Durable consumer name (ocis's own is the push consumer `evhistory`)"},
        Meta{.name = "mode", .default_text = "auto", .env = {"EVENTHISTORY_CONSUMER_MODE"},
             .help = "`shared`: instances split the events through the durable consumer; `instance`: each instance "
                     "reads every event through a consumer of its own (not acked with the memory and noop stores: "
                     "the stream is their durable copy, replayed at start); `auto`: `instance` for the memory and "
                     "noop stores, else `shared`"},
        Meta{.name = "deliver_policy", .default_text = "all", .env = {"EVENTHISTORY_CONSUMER_DELIVER_POLICY"},
             .help = "Where the shared consumer starts when created: `all` ingests the stream's history, `new` "
                     "only what comes next"},
        Meta{.name = "fetch_batch", .default_text = "256", .env = {"EVENTHISTORY_CONSUMER_FETCH_BATCH"},
             .help = "Messages fetched and stored at once"},
        Meta{.name = "max_ack_pending", .default_text = "10000", .env = {"EVENTHISTORY_CONSUMER_MAX_ACK_PENDING"},
             .help = "Most messages delivered but not yet acknowledged (ocis#10393)"},
        Meta{.name = "ack_wait", .default_text = "30s", .env = {"EVENTHISTORY_CONSUMER_ACK_WAIT"},
             .help = "How long NATS waits for an ack before it redelivers (ocis#10393)"},
        Meta{.name = "max_message_bytes", .default_text = "8388608", .env = {"EVENTHISTORY_CONSUMER_MAX_MESSAGE_BYTES"},
             .help = "Largest event message decoded; a larger one is terminated (logged, counted as malformed)"},
        Meta{.name = "max_refusals", .default_text = "3", .env = {"EVENTHISTORY_CONSUMER_MAX_REFUSALS"},
             .help = "Times the store may refuse one event (e.g. a record too large for it) before its message is "
                     "terminated (logged, counted); a store that is down is retried without limit"},
    };
};

struct StreamSection {
    BOOST_HANA_DEFINE_STRUCT(StreamSection,
        (StreamStorage, storage),
        (std::size_t, replicas));

    static constexpr std::string_view about =
        "The stream `main-queue`, used only when it is missing and created here (as ocis would).";
    static constexpr std::array meta{
        Meta{.name = "storage", .default_text = "file", .env = {"EVENTHISTORY_STREAM_STORAGE"},
             .help = "Storage of a created stream"},
        Meta{.name = "replicas", .default_text = "1", .env = {"EVENTHISTORY_STREAM_REPLICAS"},
             .help = "Replicas of a created stream"},
    };
};

struct StoreSection {
    BOOST_HANA_DEFINE_STRUCT(StoreSection,
        (std::string, type),
        (std::vector<std::string>, nodes),
        (std::string, database),
        (std::string, table),
        (std::chrono::nanoseconds, ttl),
        (std::string, auth_username),
        (std::string, auth_password),
        (bool, disable_persistence),
        (std::size_t, replicas),
        (bool, enable_tls),
        (bool, tls_insecure),
        (std::string, tls_root_ca_certificate));

    static constexpr std::string_view about = "Where events are kept, in the layouts ocis writes (docs/ocis-contract.md section 3).";
    static constexpr std::array meta{
        Meta{.name = "type", .default_text = "memory", .env = {"OCIS_PERSISTENT_STORE", "EVENTHISTORY_STORE"},
             .help = "Store backend by name; an unknown one is refused with the list this build has"},
        Meta{.name = "nodes", .default_text = "",
             .env = {"OCIS_CACHE_STORE_NODES", "OCIS_PERSISTENT_STORE_NODES", "EVENTHISTORY_STORE_NODES"},
             .help = "Store nodes, comma-separated: host:port/master (redis-sentinel), host:port (nats-js-kv; empty: the "
                     "events endpoint with its TLS and auth)"},
        Meta{.name = "database", .default_text = "eventhistory", .env = {"EVENTHISTORY_STORE_DATABASE"},
             .help = "Database; the KV bucket name of nats-js-kv"},
        Meta{.name = "table", .default_text = "", .env = {"EVENTHISTORY_STORE_TABLE"},
             .help = "Table; a prefix of every key"},
        Meta{.name = "ttl", .default_text = "336h", .env = {"OCIS_PERSISTENT_STORE_TTL", "EVENTHISTORY_STORE_TTL"},
             .help = "How long an event is kept, counted from its own timestamp (Go duration)"},
        Meta{.name = "auth_username", .default_text = "",
             .env = {"OCIS_PERSISTENT_STORE_AUTH_USERNAME", "EVENTHISTORY_STORE_AUTH_USERNAME"},
             .help = "Store user name"},
        Meta{.name = "auth_password", .default_text = "",
             .env = {"OCIS_PERSISTENT_STORE_AUTH_PASSWORD", "EVENTHISTORY_STORE_AUTH_PASSWORD"},
             .help = "Store password", .secret = true},
        Meta{.name = "disable_persistence", .default_text = "false",
             .env = {"OCIS_CACHE_DISABLE_PERSISTENCE", "EVENTHISTORY_STORE_DISABLE_PERSISTENCE"},
             .help = "nats-js-kv: keep the bucket in memory instead of on disk"},
        Meta{.name = "replicas", .default_text = "1", .env = {"EVENTHISTORY_STORE_REPLICAS"},
             .help = "nats-js-kv: replicas of a created bucket"},
        Meta{.name = "enable_tls", .default_text = "false",
             .env = {"OCIS_PERSISTENT_STORE_ENABLE_TLS", "EVENTHISTORY_STORE_ENABLE_TLS"},
             .help = "nats-js-kv: connect to the store nodes over TLS (without nodes of its own the store uses the "
                     "events connection, and its TLS unless this is set)"},
        Meta{.name = "tls_insecure", .default_text = "false",
             .env = {"OCIS_INSECURE", "OCIS_PERSISTENT_STORE_TLS_INSECURE", "EVENTHISTORY_STORE_TLS_INSECURE"},
             .help = "nats-js-kv: skip verifying the store nodes' certificate"},
        Meta{.name = "tls_root_ca_certificate", .default_text = "",
             .env = {"OCIS_PERSISTENT_STORE_TLS_ROOT_CA_CERTIFICATE", "EVENTHISTORY_STORE_TLS_ROOT_CA_CERTIFICATE"},
             .help = "nats-js-kv: PEM file of the CA that signed the store nodes' certificate (with TLS enabled)"},
    };
};

struct QuerySection {
    BOOST_HANA_DEFINE_STRUCT(QuerySection,
        (std::size_t, max_events),
        (std::size_t, max_candidates),
        (std::size_t, max_user_id_bytes),
        (std::size_t, max_user_id_runs));

    static constexpr std::string_view about =
        "Bounds of one GetEvents or GetEventsForUser call. An answer is also at most grpc.max_message_bytes; beyond a "
        "bound the call fails with RESOURCE_EXHAUSTED (INVALID_ARGUMENT for a user id) naming it, never truncated.";
    static constexpr std::array meta{
        Meta{.name = "max_events", .default_text = "50000", .env = {"EVENTHISTORY_QUERY_MAX_EVENTS"},
             .help = "Most events in one answer"},
        Meta{.name = "max_candidates", .default_text = "20000", .env = {"EVENTHISTORY_QUERY_MAX_CANDIDATES"},
             .help = "Most events a user query examines: those holding the user id's rarest word (nats-js-kv: and "
                     "those its index has not reached; the memory store checks its not yet indexed ones besides)"},
        Meta{.name = "max_user_id_bytes", .default_text = "256", .env = {"EVENTHISTORY_QUERY_MAX_USER_ID_BYTES"},
             .help = "Longest user id"},
        Meta{.name = "max_user_id_runs", .default_text = "16", .env = {"EVENTHISTORY_QUERY_MAX_USER_ID_RUNS"},
             .help = "Most word runs ([A-Za-z0-9_]+) in a user id; one without any is refused (it matches nearly "
                     "every event)"},
    };
};

struct GrpcSection {
    BOOST_HANA_DEFINE_STRUCT(GrpcSection,
        (std::string, addr),
        (bool, disabled),
        (std::size_t, max_ids_per_request),
        (std::size_t, max_message_bytes),
        (std::size_t, max_in_flight),
        (bool, tls_enabled),
        (std::string, tls_cert),
        (std::string, tls_key),
        (std::string, tls_client_ca));

    static constexpr std::string_view about =
        "The gRPC API (ocis's EventHistoryService), on the proto package path and on go-micro's "
        "/<namespace>.eventhistory.EventHistoryService/<Method>, as ocis's services call it.";
    static constexpr std::array meta{
        Meta{.name = "addr", .default_text = "127.0.0.1:9274", .env = {"EVENTHISTORY_GRPC_ADDR"},
             .help = "Listen address; port 0 picks a free port (the registry gets the one picked)"},
        Meta{.name = "disabled", .default_text = "false", .env = {"EVENTHISTORY_GRPC_DISABLED"},
             .help = "Serve no gRPC (and register nothing): only consume and store events (not with events.disabled)"},
        Meta{.name = "max_ids_per_request", .default_text = "10000", .env = {"EVENTHISTORY_GRPC_MAX_IDS_PER_REQUEST"},
             .help = "Most ids one GetEvents may ask for"},
        Meta{.name = "max_message_bytes", .default_text = "4194304", .env = {"EVENTHISTORY_GRPC_MAX_MESSAGE_BYTES"},
             .help = "Largest request or response message"},
        Meta{.name = "max_in_flight", .default_text = "64", .env = {"EVENTHISTORY_GRPC_MAX_IN_FLIGHT"},
             .help = "Most calls queued or running at once; more get RESOURCE_EXHAUSTED at once"},
        Meta{.name = "tls_enabled", .default_text = "false",
             .env = {"OCIS_GRPC_TLS_ENABLED", "EVENTHISTORY_GRPC_TLS_ENABLED"},
             .help = "Serve over TLS; without tls_cert with a temporary self-signed certificate, as ocis (its clients "
                     "then need OCIS_GRPC_CLIENT_TLS_MODE=insecure)"},
        Meta{.name = "tls_cert", .default_text = "",
             .env = {"OCIS_GRPC_TLS_CERTIFICATE", "EVENTHISTORY_GRPC_TLS_CERT"},
             .help = "PEM certificate file; with tls_key, serve over TLS (also without tls_enabled)"},
        Meta{.name = "tls_key", .default_text = "", .env = {"OCIS_GRPC_TLS_KEY", "EVENTHISTORY_GRPC_TLS_KEY"},
             .help = "PEM private key file of tls_cert"},
        Meta{.name = "tls_client_ca", .default_text = "", .env = {"EVENTHISTORY_GRPC_TLS_CLIENT_CA"},
             .help = "PEM CA file; when set, clients must present a certificate it signed (mutual TLS)"},
    };
};

struct RegistrySection {
    BOOST_HANA_DEFINE_STRUCT(RegistrySection,
        (RegistryType, type),
        (std::vector<std::string>, address),
        (std::string, auth_username),
        (std::string, auth_password),
        (std::chrono::nanoseconds, ttl),
        (std::chrono::nanoseconds, interval),
        (std::string, service_namespace),
        (bool, disabled));

    static constexpr std::string_view about =
        "The go-micro service registry through which ocis's services find the gRPC API (docs/ocis-contract.md section 5): "
        "registered once serving, refreshed every interval, removed on a graceful stop.";
    static constexpr std::array meta{
        Meta{.name = "type", .default_text = "nats-js-kv", .env = {"MICRO_REGISTRY"},
             .help = "`nats-js-kv` (also `natsjs`, `nats-js`); `memory` registers nothing (it lives inside one "
                     "process); ocis's deprecated mdns, etcd, consul, kubernetes and nats are refused (exit 2)"},
        Meta{.name = "address", .default_text = "127.0.0.1:9233", .env = {"MICRO_REGISTRY_ADDRESS"},
             .help = "NATS servers of the registry, comma-separated host:port"},
        Meta{.name = "auth_username", .default_text = "", .env = {"MICRO_REGISTRY_AUTH_USERNAME"},
             .help = "NATS user name of the registry"},
        Meta{.name = "auth_password", .default_text = "", .env = {"MICRO_REGISTRY_AUTH_PASSWORD"},
             .help = "NATS password of the registry", .secret = true},
        Meta{.name = "ttl", .default_text = "30s", .env = {"EXPERIMENTAL_REGISTER_TTL"},
             .help = "How long the record outlives its last refresh (the max age of a created bucket)"},
        Meta{.name = "interval", .default_text = "25s", .env = {"EXPERIMENTAL_REGISTER_INTERVAL"},
             .help = "How often the record is refreshed; shorter than ttl"},
        Meta{.name = "service_namespace", .default_text = "com.owncloud.api",
             .env = {"EVENTHISTORY_REGISTRY_NAMESPACE"},
             .help = "The service is registered as <namespace>.eventhistory (OpenCloud: eu.opencloud.api)"},
        Meta{.name = "disabled", .default_text = "false", .env = {"EVENTHISTORY_REGISTRY_DISABLED"},
             .help = "Register nothing (standalone use: clients dial grpc.addr themselves)"},
    };
};

struct DebugSection {
    BOOST_HANA_DEFINE_STRUCT(DebugSection,
        (std::string, addr),
        (std::string, token),
        (bool, pprof),
        (bool, zpages));

    static constexpr std::string_view about = "The debug HTTP server: /healthz, /readyz, /metrics.";
    static constexpr std::array meta{
        Meta{.name = "addr", .default_text = "127.0.0.1:9270", .env = {"EVENTHISTORY_DEBUG_ADDR"},
             .help = "Listen address (host:port)"},
        Meta{.name = "token", .default_text = "", .env = {"EVENTHISTORY_DEBUG_TOKEN"},
             .help = "When set, /metrics needs `Authorization: Bearer <token>` (401 otherwise); /healthz and /readyz "
                     "stay open, as in ocis",
             .secret = true},
        Meta{.name = "pprof", .default_text = "false", .env = {"EVENTHISTORY_DEBUG_PPROF"},
             .help = "Accepted for ocis compatibility; Go's pprof does not exist here (a log line says so)"},
        Meta{.name = "zpages", .default_text = "false", .env = {"EVENTHISTORY_DEBUG_ZPAGES"},
             .help = "Accepted for ocis compatibility; zpages are not available here (a log line says so)"},
    };
};

struct LogSection {
    BOOST_HANA_DEFINE_STRUCT(LogSection,
        (spdlog::level::level_enum, level),
        (bool, pretty),
        (bool, color),
        (std::string, file));

    static constexpr std::string_view about = "Logging, to standard error unless `file` is set.";
    static constexpr std::array meta{
        Meta{.name = "level", .default_text = "info", .env = {"OCIS_LOG_LEVEL", "EVENTHISTORY_LOG_LEVEL"},
             .help = "Log level (ocis's fatal and panic mean critical)"},
        Meta{.name = "pretty", .default_text = "false", .env = {"OCIS_LOG_PRETTY", "EVENTHISTORY_LOG_PRETTY"},
             .help = "One readable line per entry instead of a JSON object (as ocis)"},
        Meta{.name = "color", .default_text = "false", .env = {"OCIS_LOG_COLOR", "EVENTHISTORY_LOG_COLOR"},
             .help = "Color the level of pretty lines"},
        Meta{.name = "file", .default_text = "", .env = {"OCIS_LOG_FILE", "EVENTHISTORY_LOG_FILE"},
             .help = "Append the log to this file instead of standard error"},
    };
};

struct Settings {
    BOOST_HANA_DEFINE_STRUCT(Settings,
        (EventsSection, events),
        (ConsumerSection, consumer),
        (StreamSection, stream),
        (StoreSection, store),
        (QuerySection, query),
        (GrpcSection, grpc),
        (RegistrySection, registry),
        (DebugSection, debug),
        (LogSection, log));
};

/// The settings above plus sections declared elsewhere (a daemon's stores' own settings), each
/// read, checked and documented like the others, after them.
template <class... Sections>
struct SettingsWith : Settings {
    std::tuple<Sections...> sections{};
    template <class X>
    X& section() noexcept { return std::get<X>(sections); }
    template <class X>
    const X& section() const noexcept { return std::get<X>(sections); }
};

} // namespace eh::config
