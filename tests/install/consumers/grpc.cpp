// eh::grpc (with eh::proto): the ocis gRPC API over a memory-store EventHistory, served on a
// port the kernel picks, then stopped.
#include <eh/event_history.hpp>
#include <eh/server/grpc_server.hpp>
#include <eh/store/memory.hpp>
#include <eh/testing/scripted_transport.hpp>

#include <iostream>

int main() {
    using History = eh::EventHistory<eh::testing::ScriptedTransport, eh::store::MemoryStore>;
    History history(eh::testing::ScriptedTransport{}, eh::store::MemoryStore{});
    eh::server::GrpcServer<History> server(history, {.address = "127.0.0.1:0"});
    server.start();
    std::cout << "eh::grpc: served on port " << server.port() << "\n";
    return server.port() > 0 ? 0 : 1;
}
