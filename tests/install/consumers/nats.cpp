// eh::nats: the JetStream transport and the nats-js-kv store, composed. Built, not run
// against a server: with no argument it only says what it would compose.
#include <eh/event_history.hpp>
#include <eh/store/nats_kv.hpp>
#include <eh/transport/nats_jetstream.hpp>

#include <iostream>

int main(int argc, char**) {
    using History = eh::EventHistory<eh::transport::NatsJetStream, eh::store::NatsKvStore>;
    if (argc > 1) { // the code paths exist and link; running them needs a nats-server
        History history(eh::transport::NatsJetStream(eh::transport::NatsOptions{}),
                        eh::store::NatsKvStore(eh::store::NatsKvOptions{}));
        return history.ready() ? 0 : 1;
    }
    std::cout << "eh::nats: EventHistory<NatsJetStream, " << eh::store::NatsKvStore::name << ">\n";
}
