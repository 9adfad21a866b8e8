#pragma once
// Owning handles for cnats objects: each is destroyed exactly once, by the function cnats
// names for it. Shared by the JetStream transport and the NATS stores.
#include <cstdint>
#include <memory>
#include <string_view>

#include <nats/nats.h>

#include "eh/detail/c_handle.hpp"

namespace eh::detail::nats {

using eh::detail::Deleter;

using Options = std::unique_ptr<natsOptions, Deleter<natsOptions, natsOptions_Destroy>>;
using Connection = std::unique_ptr<natsConnection, Deleter<natsConnection, natsConnection_Destroy>>;
using JetStream = std::unique_ptr<jsCtx, Deleter<jsCtx, jsCtx_Destroy>>;
using StreamInfo = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using ConsumerInfo = std::unique_ptr<jsConsumerInfo, Deleter<jsConsumerInfo, jsConsumerInfo_Destroy>>;
using Msg = std::unique_ptr<natsMsg, Deleter<natsMsg, natsMsg_Destroy>>;
using Subscription = std::unique_ptr<natsSubscription, Deleter<natsSubscription, natsSubscription_Destroy>>;

/// A received message. The payload view stays valid as long as the message lives.
class Message {
public:
    Message() = default;
    explicit Message(natsMsg* msg) noexcept : msg_(msg) {}

    std::string_view data() const noexcept {
        if (!msg_) return {};
        return {natsMsg_GetData(msg_.get()), static_cast<std::size_t>(natsMsg_GetDataLength(msg_.get()))};
    }
    natsMsg* get() const noexcept { return msg_.get(); }
    /// Its JetStream stream sequence (from the reply subject); 0 when it has none.
    std::uint64_t sequence() const noexcept {
        jsMsgMetaData* meta = nullptr;
        if (!msg_ || natsMsg_GetMetaData(&meta, msg_.get()) != NATS_OK) return 0;
        const std::uint64_t seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        return seq;
    }

private:
    Msg msg_;
};

} // namespace eh::detail::nats
