// The service registry's pure parts: go-micro's nats-js-kv keys and records, the registered
// service JSON, the node's address (eh/registry/, eh/detail/natsjskv/record.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "eh/detail/natsjskv/record.hpp"
#include "eh/registry/node_address.hpp"
#include "eh/registry/service.hpp"

namespace natsjskv = eh::detail::natsjskv;
using eh::registry::InterfaceAddress;

TEST_CASE("natsjskv: keys as ocis's registry and store write them") {
    std::string key;
    // Read from a real ocis 5 deployment's service-registry bucket (ocis#9535).
    natsjskv::key("service-registry", "com.owncloud.api.gateway", key);
    CHECK(key == "ONSXE5TJMNSS24TFM5UXG5DSPFPWG33NFZXXO3TDNRXXKZBOMFYGSLTHMF2GK53BPE======");
    key.clear();
    natsjskv::key("", "ev-1", key);
    CHECK(key == "MV3C2MI=");
}

TEST_CASE("natsjskv: a record without metadata, as go-micro writes a nil map") {
    std::string record;
    natsjskv::record("a@b@1", "{\"x\":1}", [](std::string& o) { o += "null"; }, record);
    CHECK(record == R"({"key":"a@b@1","data":"eyJ4IjoxfQ==","metadata":null})");
    std::string data;
    CHECK(natsjskv::record_data(record, data));
    CHECK(data == "{\"x\":1}");
}

TEST_CASE("registry: the service JSON and key of a node, byte for byte") {
    const eh::registry::ServiceNode node{.name = eh::registry::service_name("com.owncloud.api"),
                                         .version = "7.1.0",
                                         .server_id = "9f5c0d1e-6b1a-4c2e-9a0b-1c2d3e4f5a6b",
                                         .address = "10.0.0.7:9274"};
    CHECK(eh::registry::plain_key(node) == "com.owncloud.api.eventhistory@9f5c0d1e-6b1a-4c2e-9a0b-1c2d3e4f5a6b@7.1.0");
    // go-micro v4's registry.Service: fields in declaration order (Node: metadata, id, address
    // as in ocis#9535's dump), maps with sorted keys, a nil map as null.
    CHECK(eh::registry::service_json(node) ==
          R"({"name":"com.owncloud.api.eventhistory","version":"7.1.0","metadata":null,"endpoints":[)"
          R"({"request":{"name":"GetEventsRequest","type":"GetEventsRequest","values":[{"name":"ids","type":"[]string","values":null}]},)"
          R"("response":{"name":"GetEventsResponse","type":"GetEventsResponse","values":[{"name":"events","type":"[]Event","values":null}]},)"
          R"("metadata":{},"name":"EventHistoryService.GetEvents"},)"
          R"({"request":{"name":"GetEventsForUserRequest","type":"GetEventsForUserRequest","values":[{"name":"userID","type":"string","values":null}]},)"
          R"("response":{"name":"GetEventsResponse","type":"GetEventsResponse","values":[{"name":"events","type":"[]Event","values":null}]},)"
          R"("metadata":{},"name":"EventHistoryService.GetEventsForUser"}],)"
          R"("nodes":[{"metadata":{"broker":"http","protocol":"grpc","registry":"cache","server":"grpc","transport":"grpc"},)"
          R"("id":"com.owncloud.api.eventhistory-9f5c0d1e-6b1a-4c2e-9a0b-1c2d3e4f5a6b","address":"10.0.0.7:9274"}]})");
    CHECK(eh::registry::service_name("eu.opencloud.api") == "eu.opencloud.api.eventhistory");
}

TEST_CASE("registry: a fresh version 4 UUID per call") {
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string u = eh::registry::random_uuid();
        CHECK(std::regex_match(u, uuid));
        seen.insert(u);
    }
    CHECK(seen.size() == 100);
}

TEST_CASE("registry: the node address: the bound port, the host as given or one of this host's") {
    using Ifs = std::vector<InterfaceAddress>;
    const Ifs host{{"127.0.0.1", true},     {"::1", true},
                                             {"203.0.113.9", false},  {"fe80::1", false},
                                             {"192.168.1.20", false}, {"10.1.2.3", false}};
    using eh::registry::node_address;
    CHECK(node_address("127.0.0.1:0", 41234, host) == "127.0.0.1:41234");
    CHECK(node_address("ocis-eventhistory:9274", 9274, host) == "ocis-eventhistory:9274");
    CHECK(node_address("[fd00::5]:0", 5000, host) == "[fd00::5]:5000");
    // Unspecified: the first private address (go-micro's addr.Extract), loopback interfaces last.
    CHECK(node_address("0.0.0.0:0", 7, host) == "192.168.1.20:7");
    CHECK(node_address("[::]:9274", 9274, host) == "192.168.1.20:9274");
    CHECK(node_address(":9274", 9274, host) == "192.168.1.20:9274");
    CHECK(node_address("0.0.0.0:1", 1, Ifs{{"127.0.0.1", true}, {"fd12::3", false}}) == "[fd12::3]:1");
    CHECK(node_address("0.0.0.0:1", 1, Ifs{{"127.0.0.1", true}, {"100.64.0.2", false}}) == "100.64.0.2:1");
    // No private one: a public one; only loopback: loopback; link-local never.
    CHECK(node_address("0.0.0.0:1", 1, Ifs{{"127.0.0.1", true}, {"203.0.113.9", false}}) == "203.0.113.9:1");
    CHECK(node_address("0.0.0.0:1", 1, Ifs{{"fe80::1", false}, {"127.0.0.1", true}}) == "127.0.0.1:1");
    CHECK_THROWS_AS(node_address("0.0.0.0:1", 1, Ifs{{"fe80::1", false}, {"169.254.0.3", false}}), std::runtime_error);
    // This host's own list has its loopback address.
    const auto mine = eh::registry::interface_addresses();
    CHECK(std::any_of(mine.begin(), mine.end(), [](const auto& a) { return a.ip == "127.0.0.1" && a.loopback; }));
}
