#pragma once
// The daemon's log, as ocis writes its own: one JSON object per line by default
//   {"level":"info","service":"eventhistory","time":"2024-05-03T10:11:12.123+02:00","message":"..."}
// or, with log.pretty, a readable line ("... INF message service=eventhistory"), its level
// colored with log.color; to standard error, or appended to log.file. protobuf's own messages
// (e.g. about a request with invalid UTF-8, which any client can send) go to the debug level.
#include <memory>
#include <string>

#include <google/protobuf/stubs/logging.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "eh/config/error.hpp"
#include "eh/config/settings.hpp"
#include "eh/detail/go_json.hpp"

namespace eventhistoryd {

namespace detail {

/// %j: the message as the inside of a JSON string.
class JsonMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        thread_local std::string quoted;
        quoted.clear();
        eh::detail::go_json::quote(std::string_view(msg.payload.data(), msg.payload.size()), quoted);
        dest.append(quoted.data() + 1, quoted.data() + quoted.size() - 1);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessage>(); }
};

/// %q: zerolog's level name ("warn", "fatal"); %Q its short form ("WRN", "FTL").
template <bool Short>
class LevelName final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "fatal", "off"};
        static constexpr std::string_view short_names[] = {"TRC", "DBG", "INF", "WRN", "ERR", "FTL", "OFF"};
        const auto i = static_cast<std::size_t>(msg.level);
        const std::string_view name = i < 7 ? (Short ? short_names[i] : names[i]) : std::string_view("?");
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<LevelName>(); }
};

} // namespace detail

/// Sets up the default logger from the settings; throws ConfigError when log.file cannot be opened.
inline void setup_logging(const eh::config::LogSection& log) {
    spdlog::sink_ptr sink;
    if (!log.file.empty()) {
        try {
            sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.file, /*truncate=*/false);
        } catch (const spdlog::spdlog_ex& e) {
            throw eh::config::ConfigError("log.file: cannot open \"" + log.file + "\": " + e.what());
        }
    } else {
        auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        console->set_color_mode(log.pretty && log.color ? spdlog::color_mode::always : spdlog::color_mode::never);
        sink = console;
    }
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<detail::JsonMessage>('j').add_flag<detail::LevelName<false>>('q').add_flag<detail::LevelName<true>>('Q');
    formatter->set_pattern(log.pretty
                               ? "%Y-%m-%dT%H:%M:%S.%e%z %^%Q%$ %v service=eventhistory"
                               : R"({"level":"%q","service":"eventhistory","time":"%Y-%m-%dT%H:%M:%S.%e%z","message":"%j"})");
    sink->set_formatter(std::move(formatter));
    auto logger = std::make_shared<spdlog::logger>("eventhistory", std::move(sink));
    logger->set_level(log.level);
    logger->flush_on(spdlog::level::trace); // every line: a crash (kill -9) keeps what was said
    spdlog::set_default_logger(std::move(logger));
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string& message) {
        spdlog::debug("protobuf: {}", message);
    });
}

} // namespace eventhistoryd
