#pragma once
// JetStream pull consumers: create one when missing (or adjust the settings that may change on
// an existing one), read its info. Pulling from one: pull.hpp.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "eh/detail/nats/handles.hpp"
#include "eh/detail/nats/status.hpp"

namespace eh::detail::nats {

struct PullConsumerSpec {
    std::string stream;
    std::string subject; ///< filter subject
    std::string name;
    /// Durable: kept by the server until deleted. Otherwise ephemeral: the server removes it
    /// once nobody pulled for inactive_threshold.
    bool durable = true;
    std::chrono::nanoseconds inactive_threshold{0};
    // Where a new consumer starts; an existing one keeps its position.
    jsDeliverPolicy deliver = js_DeliverAll;
    std::uint64_t start_sequence = 0;                   ///< js_DeliverByStartSequence
    std::chrono::sys_time<std::chrono::nanoseconds> start_time{}; ///< js_DeliverByStartTime
    std::int64_t max_ack_pending = 0;                   ///< 0: the server's default
    std::chrono::milliseconds ack_wait{0};              ///< 0: the server's default
    jsAckPolicy ack_policy = js_AckExplicit;            ///< js_AckNone: delivered once, nothing tracked
};

inline Status consumer_info(jsCtx* js, const std::string& stream, const std::string& name, jsOptions& api,
                            ConsumerInfo& out) {
    jsConsumerInfo* ci = nullptr;
    jsErrCode code{};
    Status s = status(js_GetConsumerInfo(&ci, js, stream.c_str(), name.c_str(), &api, &code), code);
    out.reset(ci);
    return s;
}

/// The consumer's info, creating the consumer when missing (spec.ack_policy) and updating the
/// flow-control settings of an existing durable when they differ from spec. An existing
/// consumer that would lose events is refused: a push consumer, one with another ack policy
/// than spec's (where spec wants explicit acks, an AckNone or AckAll consumer would count a
/// message as stored before it is), or one filtering another subject (the events of
/// main-queue would pass it by).
inline Status ensure_consumer(jsCtx* js, const PullConsumerSpec& spec, jsOptions& api, ConsumerInfo& out) {
    jsConsumerInfo* ci = nullptr;
    jsErrCode code{};
    const std::int64_t ack_wait_ns = std::chrono::nanoseconds(spec.ack_wait).count();
    Status s = consumer_info(js, spec.stream, spec.name, api, out);
    if (s) {
        const jsConsumerConfig& have = *out->Config;
        const std::string unusable = "consumer '" + spec.name + "' exists ";
        if (have.DeliverSubject != nullptr && *have.DeliverSubject != '\0')
            return {NATS_ERR, {}, unusable + "as a push consumer; a pull consumer is needed"};
        if (have.AckPolicy != spec.ack_policy)
            return {NATS_ERR, {}, unusable + (spec.ack_policy == js_AckExplicit ? "without explicit acks" : "with acks") +
                                      "; delete it or choose another consumer name"};
        const std::string_view filter = have.FilterSubject != nullptr ? have.FilterSubject : "";
        if (!filter.empty() && filter != spec.subject)
            return {NATS_ERR, {}, unusable + "filtering '" + std::string(filter) + "', not '" + spec.subject +
                                      "'; delete it or choose another consumer name"};
        const bool differs = (spec.max_ack_pending > 0 && have.MaxAckPending != spec.max_ack_pending) ||
                             (ack_wait_ns > 0 && have.AckWait != ack_wait_ns);
        if (!spec.durable || !differs) return s;
        jsConsumerConfig cfg = have; // its strings live in out until the update returns
        if (spec.max_ack_pending > 0) cfg.MaxAckPending = spec.max_ack_pending;
        if (ack_wait_ns > 0) cfg.AckWait = ack_wait_ns;
        s = status(js_UpdateConsumer(&ci, js, spec.stream.c_str(), &cfg, &api, &code), code);
        if (s) out.reset(ci);
        return s;
    }
    if (!s.not_found()) return s;

    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    if (spec.durable) cfg.Durable = spec.name.c_str();
    cfg.InactiveThreshold = spec.durable ? 0 : spec.inactive_threshold.count();
    cfg.FilterSubject = spec.subject.c_str();
    cfg.AckPolicy = spec.ack_policy;
    cfg.DeliverPolicy = spec.deliver;
    cfg.OptStartSeq = spec.start_sequence;
    cfg.OptStartTime = spec.start_time.time_since_epoch().count();
    cfg.MaxAckPending = spec.max_ack_pending;
    cfg.AckWait = ack_wait_ns;
    s = status(js_AddConsumer(&ci, js, spec.stream.c_str(), &cfg, &api, &code), code);
    if (!s && s.is(JSConsumerNameExistErr)) return consumer_info(js, spec.stream, spec.name, api, out); // a peer won
    out.reset(ci);
    return s;
}

} // namespace eh::detail::nats
