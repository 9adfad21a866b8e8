// eventhistoryd: the ocis-compatible event history service, and its client commands.
//   eventhistoryd server           consume, store, serve, register (the daemon)
//   eventhistoryd health           probe a running server's /healthz (exit 0 healthy, 1 not)
//   eventhistoryd version
//   eventhistoryd get ID...        events by id from a running server, one JSON line each
//   eventhistoryd user USERID      a user's events from a running server, one JSON line each
// Exit status 2: bad command line or configuration (one line on stderr says what).
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "client.hpp"
#include "eh/config/error.hpp"
#include "eh/config/load.hpp"
#include "eh/config/summary.hpp"
#include "eh/server/debug_http.hpp"
#include "logging.hpp"
#include "service.hpp"
#include "stores.hpp"

namespace {

constexpr std::string_view version = EH_VERSION;

using Flags = eh::config::Flags<eventhistoryd::Settings>;

eventhistoryd::Settings load_settings(const Flags& flags) { return eh::config::load<eventhistoryd::Stores>(flags); }

int run_server(const eventhistoryd::Settings& settings) {
    eventhistoryd::setup_logging(settings.log);
    spdlog::info("configuration: {}", eh::config::summary(settings));
    const sigset_t stop_signals = eventhistoryd::block_stop_signals();
    int status = 0;
    eventhistoryd::Stores::visit(settings.store.type, [&](auto store) {
        status = eventhistoryd::serve<typename decltype(store)::type>(settings, version, stop_signals);
    });
    return status;
}

int run_health(const eh::config::Settings& settings) {
    try {
        const auto r = eh::server::http_get(settings.debug.addr, "/healthz", std::chrono::seconds{5});
        std::cout << settings.debug.addr << "/healthz: " << r.status << "\n";
        return r.status == 200 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "eventhistoryd health: " << e.what() << "\n";
        return 1;
    }
}

/// The client's connection flags; the address defaults to the server's --grpc-addr setting.
struct ClientFlags {
    eventhistoryd::client::Options options;
    double timeout_seconds = 10;

    explicit ClientFlags(CLI::App& app) {
        app.add_option("--tls-ca", options.tls.ca_file, "CA file that signed the server's certificate (turns TLS on)");
        app.add_option("--tls-cert", options.tls.cert_file, "Client certificate, for servers requiring mutual TLS");
        app.add_option("--tls-key", options.tls.key_file, "Private key of --tls-cert");
        app.add_flag("--tls", options.tls.enabled, "Use TLS with the system's CAs");
        app.add_option("--timeout", timeout_seconds, "Deadline of the call in seconds")->capture_default_str();
    }
    eventhistoryd::client::Options resolve(const eh::config::Settings& s) {
        options.address = s.grpc.addr;
        options.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
        return options;
    }
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"eventhistoryd " + std::string(version) +
                 ": stores every event of the ocis event bus (NATS JetStream) and serves them over gRPC,\n"
                 "a drop-in replacement for ocis's eventhistory service. Settings: flags, environment variables "
                 "(ocis names), a YAML file; see docs/configuration.md."};
    app.require_subcommand(1);

    auto* server = app.add_subcommand("server", "Consume events from NATS, store them, serve them over gRPC (also on "
                                                "go-micro's paths) and register in ocis's service registry");
    Flags server_flags(*server);

    auto* health = app.add_subcommand("health", "Probe a running server's /healthz (its --debug-addr); exit 0 when healthy");
    Flags health_flags(*health);

    auto* version_cmd = app.add_subcommand("version", "Print the version");

    auto* get = app.add_subcommand("get", "Print events by id from a running server (its --grpc-addr), one JSON line each");
    std::vector<std::string> ids;
    get->add_option("ids", ids, "Event ids")->required();
    ClientFlags get_client(*get);
    Flags get_flags(*get);

    auto* user = app.add_subcommand("user", "Print a user's events from a running server, one JSON line each");
    std::string user_id;
    user->add_option("userid", user_id, "User id (matched literally in the events' payloads)")->required();
    ClientFlags user_client(*user);
    Flags user_flags(*user);

    try {
        eh::config::parse_command_line(app, argc, argv);
        if (*version_cmd) {
            std::cout << "eventhistoryd " << version << "\n";
            return 0;
        }
        if (*server) return run_server(load_settings(server_flags));
        if (*health) return run_health(load_settings(health_flags));
        if (*get) return eventhistoryd::client::get(get_client.resolve(load_settings(get_flags)), ids, std::cout, std::cerr);
        if (*user)
            return eventhistoryd::client::user(user_client.resolve(load_settings(user_flags)), user_id, std::cout,
                                               std::cerr);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const eh::config::ConfigError& e) {
        std::cerr << "eventhistoryd: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "eventhistoryd: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
