// eh::redis: the redis-sentinel store behind the framework's concepts. Built, not run
// against a server: with no argument it only says what it would compose.
#include <eh/codec/ocis_store_event.hpp>
#include <eh/concepts.hpp>
#include <eh/store/redis_sentinel.hpp>

#include <iostream>
#include <string>
#include <vector>

static_assert(eh::Store<eh::store::RedisSentinelStore, eh::codec::OcisStoreEvent>);

int main(int argc, char**) {
    if (argc > 1) { // needs sentinels to answer
        eh::store::RedisSentinelStore store(eh::store::RedisSentinelOptions{});
        return store.get(std::vector<std::string>{"id"}, eh::codec::OcisStoreEvent{}).empty() ? 0 : 1;
    }
    std::cout << "eh::redis: " << eh::store::RedisSentinelStore::name << "\n";
}
