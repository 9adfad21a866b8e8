#pragma once
// The Prometheus text exposition format (version 0.0.4): a small builder, and eh::Counters
// rendered as the eventhistory_* metrics. The daemon adds its own families (build info, gRPC
// requests, consumer lag, stored events) through the same builder.
#include <array>
#include <atomic>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "eh/counters.hpp"

namespace eh::server {

enum class MetricType { counter, gauge, histogram };

namespace detail {

/// The shortest text that reads back as v, as Go's strconv.FormatFloat(v, 'g', -1, 64) gives it.
inline std::string format_metric_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    for (int precision = 1;; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (precision >= 17 || std::strtod(buf, nullptr) == v) return buf;
    }
}

/// Backslash-escapes `\`, newline and, in label values, `"`.
inline void append_escaped(std::string& out, std::string_view s, bool label_value) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && label_value) out += "\\\"";
        else out += c;
    }
}

} // namespace detail

class PrometheusText {
public:
    using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    /// Starts a metric family: its # HELP and # TYPE lines. Samples that follow belong to it.
    PrometheusText& family(std::string_view name, MetricType type, std::string_view help) {
        static constexpr std::array<std::string_view, 3> type_names{"counter", "gauge", "histogram"};
        family_ = name;
        out_ += "# HELP " + family_ + " ";
        detail::append_escaped(out_, help, false);
        out_ += "\n# TYPE " + family_ + " " + std::string(type_names[static_cast<std::size_t>(type)]) + "\n";
        return *this;
    }

    /// One sample of the current counter or gauge family.
    PrometheusText& sample(Labels labels, double value) {
        return line("", labels, {}, detail::format_metric_value(value));
    }
    template <std::integral I>
    PrometheusText& sample(Labels labels, I value) {
        return line("", labels, {}, std::to_string(value));
    }

    /// One series of the current histogram family: cumulative `le` buckets, _sum and _count.
    PrometheusText& sample(Labels labels, const LatencyHistogram& h) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= LatencyHistogram::bounds.size(); ++i) {
            cumulative += h.bucket(i);
            const std::string le = i < LatencyHistogram::bounds.size()
                                       ? detail::format_metric_value(LatencyHistogram::bounds[i])
                                       : std::string("+Inf");
            line("_bucket", labels, le, std::to_string(cumulative));
        }
        line("_sum", labels, {}, detail::format_metric_value(h.sum_seconds()));
        return line("_count", labels, {}, std::to_string(cumulative));
    }

    /// A family with one unlabelled sample.
    template <class V>
    PrometheusText& single(std::string_view name, MetricType type, std::string_view help, const V& value) {
        return family(name, type, help).sample({}, value);
    }

    const std::string& text() const noexcept { return out_; }

private:
    PrometheusText& line(std::string_view suffix, Labels labels, std::string_view le, const std::string& value) {
        out_ += family_;
        out_ += suffix;
        if (labels.size() > 0 || !le.empty()) {
            char sep = '{';
            auto label = [&](std::string_view name, std::string_view v) {
                out_ += sep;
                out_ += name;
                out_ += "=\"";
                detail::append_escaped(out_, v, true);
                out_ += '"';
                sep = ',';
            };
            for (const auto& [name, v] : labels) label(name, v);
            if (!le.empty()) label("le", le);
            out_ += '}';
        }
        out_ += ' ';
        out_ += value;
        out_ += '\n';
        return *this;
    }

    std::string out_, family_;
};

/// Appends eh::Counters as eventhistory_* metrics.
inline void write_counters(PrometheusText& out, const Counters& c) {
    struct Row {
        std::string_view name;
        const Counters::counter Counters::*member;
        std::string_view help;
    };
    static constexpr std::array rows{
        Row{"eventhistory_events_received_total", &Counters::received, "Messages fetched from the transport."},
        Row{"eventhistory_events_stored_total", &Counters::stored, "Events newly stored."},
        Row{"eventhistory_events_duplicates_total", &Counters::duplicates,
            "Events whose id the store already held (redeliveries)."},
        Row{"eventhistory_events_expired_total", &Counters::expired,
            "Events older than the TTL on arrival, not stored."},
        Row{"eventhistory_events_malformed_total", &Counters::malformed,
            "Messages that could not be decoded (terminated)."},
        Row{"eventhistory_event_id_fallbacks_total", &Counters::id_fallbacks,
            "Events without Metadata.eventid, stored under the envelope ID."},
        Row{"eventhistory_store_errors_total", &Counters::store_errors,
            "Store writes that failed; their messages were NAKed for redelivery."},
        Row{"eventhistory_events_refused_total", &Counters::refused,
            "Events the store refused again and again, terminated (each logged)."},
        Row{"eventhistory_events_evicted_total", &Counters::evicted,
            "Events a bounded store (memory) evicted to stay within its bounds."},
        Row{"eventhistory_acks_total", &Counters::acks, "Messages acknowledged (after the store accepted them)."},
        Row{"eventhistory_naks_total", &Counters::naks, "Messages negatively acknowledged for redelivery."},
        Row{"eventhistory_terms_total", &Counters::terms, "Messages terminated (never redelivered)."},
        Row{"eventhistory_ingest_batches_total", &Counters::batches, "Batches ingested."},
    };
    for (const Row& r : rows)
        out.single(r.name, MetricType::counter, r.help, (c.*r.member).load(std::memory_order_relaxed));
    out.single("eventhistory_ingest_batch_duration_seconds", MetricType::histogram,
               "Fetch-to-ack time of each batch that reached the store.", c.batch_latency);
}

} // namespace eh::server
