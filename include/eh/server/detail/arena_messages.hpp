#pragma once
// Each call's request and response on one protobuf arena. A GetEvents answer holds three
// strings per event; on the heap that is a malloc/free pair per message object and per string
// object, on the arena a pointer bump each, released at once when gRPC is done with the call.
#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace eh::server::detail {

template <class Request, class Response>
class ArenaMessages final : public grpc::MessageAllocator<Request, Response> {
public:
    grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder; }

private:
    class Holder final : public grpc::MessageHolder<Request, Response> {
    public:
        Holder() {
            this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
            this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
        }
        void Release() override { delete this; }

    private:
        google::protobuf::Arena arena_;
    };
};

} // namespace eh::server::detail
