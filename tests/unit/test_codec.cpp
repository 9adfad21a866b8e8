// The ocis StoreEvent value codec: byte-exact encode, tolerant decode (docs/ocis-contract.md
// section 3).
#include <doctest/doctest.h>

#include <string>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/detail/go_json.hpp"

using eh::DecodeError;
using eh::Event;
using Codec = eh::codec::OcisStoreEvent;

static_assert(eh::Codec<Codec>);

TEST_CASE("codec: encodes exactly what ocis's json.Marshal(StoreEvent) writes") {
    Event e{.id = "6f1c0a2e-1111-2222-3333-444455556666", .type = "events.UploadReady",
            .payload = R"({"UploadID":"u1","Failed":false})"};
    std::string out;
    Codec{}.encode(e, out);
    CHECK(out == R"({"ID":"6f1c0a2e-1111-2222-3333-444455556666","Type":"events.UploadReady",)"
                 R"("Event":"eyJVcGxvYWRJRCI6InUxIiwiRmFpbGVkIjpmYWxzZX0="})");
}

TEST_CASE("codec: strings are escaped as Go escapes them (HTML-safe, \\b \\f, U+2028, invalid UTF-8)") {
    using eh::detail::go_json::quote;
    auto q = [](std::string_view s) {
        std::string out;
        quote(s, out);
        return out;
    };
    CHECK(q(R"(a"b\c)") == R"("a\"b\\c")");
    CHECK(q("<a&b>") == R"("\u003ca\u0026b\u003e")");
    CHECK(q("\n\r\t\b\f") == R"("\n\r\t\b\f")");
    CHECK(q(std::string("\x01\x1f", 2)) == R"("\u0001\u001f")");
    CHECK(q("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    CHECK(q("\xe2\x80\xa8\xe2\x80\xa9") == R"("\u2028\u2029")");
    CHECK(q("a\xff" "b") == R"("a\ufffdb")");
    CHECK(q("\xc0\xaf") == R"("\ufffd\ufffd")");       // overlong
    CHECK(q("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")"); // surrogate
}

TEST_CASE("codec: decodes ocis-written values and ours, tolerantly") {
    Event e;
    SUBCASE("as ocis writes it") {
        REQUIRE(Codec{}.decode(R"({"ID":"id-1","Type":"events.X","Event":"e30="})", e) == DecodeError::ok);
    }
    SUBCASE("other key order and case, unknown keys") {
        REQUIRE(Codec{}.decode(R"({"event":"e30=","Extra":[1],"type":"events.X","id":"id-1"})", e) == DecodeError::ok);
    }
    CHECK(e.id == "id-1");
    CHECK(e.type == "events.X");
    CHECK(e.payload == "{}");
    CHECK(Codec{}.decode(R"({"ID":"id-1","Event":null})", e) == DecodeError::ok);
    CHECK(e.payload.empty());
    CHECK(Codec{}.decode("[]", e) == DecodeError::not_object);
    CHECK(Codec{}.decode("{", e) == DecodeError::not_json);
    CHECK(Codec{}.decode(R"({"ID":"x","Event":"***"})", e) == DecodeError::bad_payload);
    CHECK(Codec{}.decode(R"({"ID":1})", e) == DecodeError::bad_field);
}

TEST_CASE("codec: round trip keeps id, type and payload bytes (timestamp is not part of the ocis layout)") {
    Event e{.id = "a<b>&\"c", .type = "events.\xe2\x80\xa8", .payload = std::string("\0\xff{}", 4)};
    std::string bytes;
    Codec{}.encode(e, bytes);
    Event back;
    REQUIRE(Codec{}.decode(bytes, back) == DecodeError::ok);
    CHECK(back.id == e.id);
    CHECK(back.type == e.type);
    CHECK(back.payload == e.payload);
}
