// The go-micro envelope decoder against hand-written bytes (docs/ocis-contract.md section 1).
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "eh/detail/base64.hpp"
#include "eh/detail/rfc3339.hpp"
#include "eh/envelope/decode.hpp"
#include "eh/testing/generator.hpp"

using eh::DecodeError;
using eh::Event;
namespace envelope = eh::envelope;

namespace {
// {"UploadID":"u1","Failed":false} in standard base64.
constexpr const char* payload_json = R"({"UploadID":"u1","Failed":false})";
constexpr const char* payload_b64 = "eyJVcGxvYWRJRCI6InUxIiwiRmFpbGVkIjpmYWxzZX0=";

DecodeError decode_envelope(std::string_view msg, Event& e, envelope::DecodeNotes* notes = nullptr) {
    return envelope::decode(msg, e, notes);
}
} // namespace

TEST_CASE("envelope: a full ocis envelope decodes field by field") {
    const std::string msg = std::string(R"({"Timestamp":"2024-05-03T10:11:12.123456789+02:00",)") +
                            R"("Metadata":{"eventid":"6f1c0a2e-1111-2222-3333-444455556666","eventtype":"events.UploadReady",)" +
                            R"("initiatorid":"init-1","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},)" +
                            R"("ID":"go-micro-uuid","Topic":"main-queue","Payload":")" + payload_b64 + R"("})";
    Event e;
    envelope::DecodeNotes notes;
    REQUIRE(decode_envelope(msg, e, &notes) == DecodeError::ok);
    CHECK(e.id == "6f1c0a2e-1111-2222-3333-444455556666");
    CHECK(e.type == "events.UploadReady");
    CHECK(e.payload == payload_json);
    CHECK(e.initiatorid == "init-1");
    CHECK(e.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    CHECK_FALSE(notes.id_from_envelope);
    // 10:11:12.123456789 at +02:00 is 08:11:12.123456789 UTC.
    CHECK(e.timestamp == *eh::detail::rfc3339::parse("2024-05-03T08:11:12.123456789Z"));
    CHECK(e.timestamp.time_since_epoch().count() == 1714723872123456789LL);
}

TEST_CASE("envelope: keys match case-insensitively, in any order; unknown keys are ignored") {
    const std::string msg = std::string(R"({"payload":")") + payload_b64 +
                            R"(","extra":{"nested":[1,2,{"x":null}]},"TOPIC":"main-queue","id":"env-id",)" +
                            R"("METADATA":{"eventtype":"events.FileUploaded","eventid":"ev-1","extrainfo":"{\"a\":1}"},)" +
                            R"("timestamp":"2024-05-03T08:11:12Z"})";
    Event e;
    REQUIRE(decode_envelope(msg, e) == DecodeError::ok);
    CHECK(e.id == "ev-1");
    CHECK(e.type == "events.FileUploaded");
    CHECK(e.payload == payload_json);
}

TEST_CASE("envelope: older publishers without eventid fall back to the envelope ID, and say so") {
    Event e;
    envelope::DecodeNotes notes;
    SUBCASE("only eventtype") {
        REQUIRE(decode_envelope(R"({"ID":"micro-1","Metadata":{"eventtype":"events.X"},"Payload":"e30="})", e, &notes) ==
                DecodeError::ok);
    }
    SUBCASE("empty eventid") {
        REQUIRE(decode_envelope(R"({"ID":"micro-1","Metadata":{"eventid":"","eventtype":"events.X"},"Payload":"e30="})", e,
                       &notes) == DecodeError::ok);
    }
    CHECK(e.id == "micro-1");
    CHECK(notes.id_from_envelope);
    CHECK(e.payload == "{}");
}

TEST_CASE("envelope: null Metadata, null or missing Payload and Timestamp are accepted") {
    Event e;
    REQUIRE(decode_envelope(R"({"ID":"m","Metadata":null,"Payload":null,"Timestamp":null})", e) == DecodeError::ok);
    CHECK(e.id == "m");
    CHECK(e.payload.empty());
    CHECK(e.timestamp == eh::Timestamp{});
    REQUIRE(decode_envelope(R"({"ID":"m"})", e) == DecodeError::ok);
}

TEST_CASE("envelope: malformed input gives a typed error, never a crash") {
    Event e;
    CHECK(decode_envelope("", e) == DecodeError::not_json);
    CHECK(decode_envelope("not json at all", e) == DecodeError::not_json);
    CHECK(decode_envelope(R"({"ID":"m","Payload":)", e) == DecodeError::not_json);
    CHECK(decode_envelope(R"(["ID","m"])", e) == DecodeError::not_object);
    CHECK(decode_envelope(R"("just a string")", e) == DecodeError::not_object);
    CHECK(decode_envelope(R"({"ID":"m","Payload":"not base64!"})", e) == DecodeError::bad_payload);
    CHECK(decode_envelope(R"({"ID":"m","Payload":"e30"})", e) == DecodeError::bad_payload); // unpadded
    CHECK(decode_envelope(R"({"ID":"m","Payload":12})", e) == DecodeError::bad_payload);
    CHECK(decode_envelope(R"({"ID":"m","Timestamp":"yesterday"})", e) == DecodeError::bad_timestamp);
    CHECK(decode_envelope(R"({"ID":"m","Metadata":"oops"})", e) == DecodeError::bad_field);
    CHECK(decode_envelope(R"({"ID":"m","Metadata":{"eventid":7}})", e) == DecodeError::bad_field);
    CHECK(decode_envelope(R"({"Metadata":{"eventtype":"events.X"},"Payload":"e30="})", e) == DecodeError::no_id);
    CHECK(decode_envelope(R"({"ID":"","Metadata":{"eventid":""}})", e) == DecodeError::no_id);
    const std::string big = R"({"ID":"m","Payload":")" + std::string(4096, 'A') + R"("})";
    CHECK(envelope::decode(big, e, nullptr, {.max_bytes = 1024}) == DecodeError::oversize);
    CHECK(envelope::decode(big, e, nullptr, {.max_bytes = 8192}) == DecodeError::ok);
}

TEST_CASE("envelope: every generated event decodes to exactly what was generated") {
    eh::testing::EventGenerator gen({.seed = 7, .users = 20, .exotic_user_ids = true});
    for (int i = 0; i < 500; ++i) {
        auto g = gen.next();
        Event e;
        REQUIRE(decode_envelope(g.envelope, e) == DecodeError::ok);
        CHECK(e == g.event);
    }
}

TEST_CASE("envelope: the strict fast path decodes exactly as the general decoder, on edits of real envelopes") {
    // Real envelopes, then each with one byte replaced, deleted or duplicated at random: most
    // edits leave the subset the fast path takes, some stay inside it. Either way the two
    // decoders must give the same result, error or event.
    eh::testing::EventGenerator gen({.seed = 11, .users = 20, .exotic_user_ids = true});
    std::mt19937_64 rng(11);
    constexpr std::string_view bytes = "{}[]\":,\\ \tnul0123456789abcdefAZ+/=-.\x01\x7f\xc3\xa9";
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string msg = gen.next().envelope;
        if (i % 3 != 0) {
            const std::size_t at = rng() % msg.size();
            switch (rng() % 3) {
            case 0: msg[at] = bytes[rng() % bytes.size()]; break;
            case 1: msg.erase(at, 1); break;
            default: msg.insert(at, 1, msg[at]); break;
            }
        }
        Event a, b;
        envelope::DecodeNotes na, nb;
        const auto ra = envelope::decode(msg, a, &na);
        const auto rb = envelope::decode_general(msg, b, &nb);
        INFO(msg);
        REQUIRE(ra == rb);
        if (ra != DecodeError::ok) continue;
        ++accepted;
        CHECK(a == b);
        CHECK(na.id_from_envelope == nb.id_from_envelope);
    }
    CHECK(accepted > 1000); // edits inside string values still decode
}

TEST_CASE("envelope: what the fast path leaves to the general decoder still decodes") {
    // Escapes, numbers, nested values of unknown keys, non-ASCII text: valid, and not the
    // strict subset.
    const std::string payload = std::string(R"("Payload":")") + payload_b64 + R"(")";
    for (const std::string& msg :
         {R"({"ID":"a\u0062c",)" + payload + "}", R"({"ID":"abc","Extra":12.5,)" + payload + "}",
          R"({"ID":"abc","Extra":{"deep":[1,{"x":null}]},)" + payload + "}",
          R"({"ID":"abc","Metadata":{"extrainfo":"{\"a\":1}","eventid":"caf\u00e9"},)" + payload + "}",
          R"({"ID":"é",)" + payload + "}"}) {
        Event e;
        INFO(msg);
        CHECK(decode_envelope(msg, e) == DecodeError::ok);
        CHECK(e.payload == payload_json);
    }
}

TEST_CASE("rfc3339: Go's forms, any offset, fractions up to nanoseconds") {
    using eh::detail::rfc3339::format;
    using eh::detail::rfc3339::parse;
    auto t = parse("2024-05-03T08:11:12Z");
    REQUIRE(t);
    CHECK(parse("2024-05-03T10:11:12+02:00") == t);
    CHECK(parse("2024-05-03T03:41:12-04:30") == t);
    CHECK(parse("2024-05-03t08:11:12z") == t);
    CHECK(parse("2024-05-03T08:11:12.5Z") == *t + std::chrono::milliseconds{500});
    CHECK(parse("2024-05-03T08:11:12.1234567891Z") == *t + std::chrono::nanoseconds{123456789});
    CHECK_FALSE(parse("2024-05-03 08:11:12Z"));
    CHECK_FALSE(parse("2024-02-30T08:11:12Z"));
    CHECK_FALSE(parse("2024-05-03T08:11:12"));
    CHECK_FALSE(parse("2024-05-03T25:11:12Z"));
    CHECK_FALSE(parse("2024-05-03T08:11:12.Z"));
    CHECK(format(*t) == "2024-05-03T08:11:12Z");
    CHECK(format(*t + std::chrono::milliseconds{120}, 120) == "2024-05-03T10:11:12.12+02:00");
    CHECK(format(*t, -270) == "2024-05-03T03:41:12-04:30");
}

TEST_CASE("rfc3339: years beyond int64 nanoseconds are clamped, not overflowed; Go's zero time means none given") {
    using eh::detail::rfc3339::parse;
    CHECK(parse("0001-01-01T00:00:00Z") == eh::Timestamp::min());
    CHECK(parse("1677-09-21T00:12:42Z") == eh::Timestamp::min()); // a second before the first that fits
    CHECK(parse("9999-12-31T23:59:59.999999999Z") == eh::Timestamp::max());
    CHECK(parse("2262-04-12T00:00:00Z") == eh::Timestamp::max());
    CHECK(parse("1700-01-01T00:00:00Z") > eh::Timestamp::min()); // still in range: exact
    CHECK(parse("1700-01-01T00:00:00Z") < *parse("1700-01-01T00:00:01Z"));
    CHECK(parse("2262-04-11T00:00:00Z") < eh::Timestamp::max());

    eh::Event e;
    const auto with_time = [](std::string_view t) {
        return std::string(R"({"ID":"m","Metadata":{"eventid":"e"},"Payload":"e30=","Timestamp":")") + std::string(t) +
               "\"}";
    };
    REQUIRE(decode_envelope(with_time("0001-01-01T00:00:00Z"), e) == DecodeError::ok);
    CHECK(e.timestamp == eh::Timestamp{}); // as if the publisher sent none: it lives from its arrival
    REQUIRE(decode_envelope(with_time("3000-01-01T00:00:00Z"), e) == DecodeError::ok);
    CHECK(e.timestamp == eh::Timestamp::max()); // the far future: every store clamps it to the arrival
}

TEST_CASE("base64: standard alphabet with padding, strict like Go's StdEncoding") {
    using namespace eh::detail;
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00?>"}) {
        std::string enc, dec;
        base64::encode(s, enc);
        REQUIRE(base64::decode(enc, dec));
        CHECK(dec == s);
    }
    std::string out;
    base64::encode("foobar?>", out);
    CHECK(out == "Zm9vYmFyPz4=");
    out.clear();
    base64::encode("\xfb\xff", out);
    CHECK(out == "+/8=");
    std::string dec;
    CHECK_FALSE(base64::decode("Zm9=v", dec));   // data after padding
    CHECK_FALSE(base64::decode("Zm8", dec));     // missing padding
    CHECK_FALSE(base64::decode("Zm9=", dec));    // non-zero spare bits
    CHECK_FALSE(base64::decode("Z-8=", dec));    // URL alphabet
    CHECK(base64::decode("Zm9v\r\nYmFy", dec));  // Go skips line breaks
}

TEST_CASE("base64: long inputs (the 32-character block path) round-trip, and any bad character anywhere is refused") {
    using namespace eh::detail;
    std::mt19937 rng(11);
    for (std::size_t n = 0; n < 400; ++n) {
        std::string raw(n, '\0');
        for (char& c : raw) c = static_cast<char>(rng());
        std::string enc, dec = "kept:";
        base64::encode(raw, enc);
        REQUIRE(base64::decode(enc, dec));
        REQUIRE(dec == "kept:" + raw); // appended, every length, all 64 characters seen
        if (enc.empty()) continue;
        // One character replaced by one outside the alphabet, at every kind of position.
        for (const char bad : {'-', '_', '=', '\x80', ' ', '@', '[', '`', '{', ':', '\0'}) {
            std::string broken = enc;
            const std::size_t at = rng() % broken.size();
            if (bad == '=' && at + 2 >= broken.size()) continue; // may just be valid padding there
            broken[at] = bad;
            std::string ignored;
            CAPTURE(n);
            CAPTURE(at);
            CHECK_FALSE(base64::decode(broken, ignored));
        }
    }
}
