#pragma once
// eventhistoryd as eh-bench runs it: a child process on free loopback ports, its metrics read
// from the debug server. Stopped by pid.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "eh/server/debug_http.hpp"
#include "eh/testing/server_process.hpp"

namespace eh_bench {

/// CPU seconds (user + system) process pid has used so far; 0 when it is gone.
inline double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(in, text);
    const auto end_of_name = text.rfind(')'); // the name may hold spaces
    if (end_of_name == std::string::npos) return 0;
    std::istringstream fields(text.substr(end_of_name + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field) fields >> skip; // state .. cmajflt
    double user = 0, system = 0;
    fields >> user >> system;
    return (user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// An unlabelled sample of a Prometheus text page; -1 when absent.
inline double metric(const std::string& page, std::string_view name) {
    const std::string key = "\n" + std::string(name) + " ";
    const auto at = page.find(key);
    return at == std::string::npos ? -1 : std::stod(page.substr(at + key.size()));
}

class DaemonProcess {
public:
    /// Starts `eventhistoryd server` on the events endpoint with the store and flags given,
    /// logging at warn; returns once it listens (a port taken meanwhile: new ports).
    DaemonProcess(const std::filesystem::path& daemon, const std::string& endpoint, const std::string& store_type,
                  const std::vector<std::string>& flags)
        : dir_(eh::testing::make_temp_dir("eh-bench-daemon")) {
        for (int attempt = 1;; ++attempt) {
            const int grpc = eh::testing::free_port(), debug = eh::testing::free_port();
            grpc_addr_ = "127.0.0.1:" + std::to_string(grpc);
            debug_addr_ = "127.0.0.1:" + std::to_string(debug);
            std::vector<std::string> argv{daemon.string(), "server",   "--events-endpoint", endpoint,    "--store-type",
                                          store_type,      "--grpc-addr", grpc_addr_,       "--debug-addr", debug_addr_,
                                          "--log-level",   "warn"};
            argv.insert(argv.end(), flags.begin(), flags.end());
            if (process_.start_listening(argv, dir_ / "eventhistoryd.log", {grpc, debug})) return;
            if (attempt == 5 || !process_.port_taken())
                throw std::runtime_error("eventhistoryd did not start; its log:\n" + process_.log());
        }
    }
    ~DaemonProcess() {
        process_.stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    /// The /metrics page; empty when the server does not answer.
    std::string metrics() const {
        try {
            return eh::server::http_get(debug_addr_, "/metrics", std::chrono::seconds{2}).body;
        } catch (const std::exception&) {
            return {};
        }
    }
    double metric(std::string_view name) const { return eh_bench::metric(metrics(), name); }
    const std::string& grpc_addr() const noexcept { return grpc_addr_; }

    bool alive() { return process_.alive(); }
    pid_t pid() const { return process_.pid(); }
    /// SIGTERM; the exit status (-1: it had to be killed, or was dead already).
    int terminate() { return process_.alive() ? process_.terminate(std::chrono::seconds{20}) : -1; }
    std::string log() const { return process_.log(); }

private:
    std::filesystem::path dir_;
    std::string grpc_addr_, debug_addr_;
    eh::testing::ChildProcess process_;
};

} // namespace eh_bench
