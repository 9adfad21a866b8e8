// A custom EventHistory variant, composed as a library user would: the scripted transport
// (standing in for a message bus), the memory store and the ocis StoreEvent codec.
// It feeds a few events, ingests them and answers both queries.
#include <eh/eh.hpp>
#include <eh/testing/generator.hpp>
#include <eh/testing/scripted_transport.hpp>

#include <iostream>
#include <string>
#include <vector>

int main() {
    using History = eh::EventHistory<eh::testing::ScriptedTransport, eh::store::MemoryStore, eh::codec::OcisStoreEvent>;
    History history(eh::testing::ScriptedTransport{}, eh::store::MemoryStore{});

    eh::testing::EventGenerator generator({.users = 3, .start = eh::SystemClock{}.now()});
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) {
        auto g = generator.next();
        ids.push_back(g.event.id);
        history.transport().publish(g.envelope);
    }
    history.transport().publish("not an envelope"); // terminated, counted, never stored

    while (history.ingest_once() > 0) {
    }
    const auto& c = history.counters();
    std::cout << "received " << c.received << ", stored " << c.stored << ", malformed " << c.malformed << "\n";

    std::vector<std::string> wanted{ids[3], "unknown-id", ids[0]};
    for (const auto& e : history.get_events(wanted)) std::cout << "get  " << e.id << " " << e.type << "\n";

    const std::string& user = generator.users()[0];
    auto mine = history.get_events_for_user(user);
    std::cout << "user " << user << ": " << mine.size() << " events\n";
    for (const auto& e : mine) std::cout << "     " << e.id << " " << e.type << "\n";
    return c.stored == 10 && c.malformed == 1 ? 0 : 1;
}
