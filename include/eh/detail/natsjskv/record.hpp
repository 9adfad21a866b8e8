#pragma once
// go-micro's nats-js-kv store layout, as ocis writes it (docs/ocis-contract.md sections 3 and 5): the one
// home of it, used by the event store (eh/store/nats_kv.hpp) and the service registry
// (eh/registry/). A record with key K under table T is the KV key base32(T + "_" + K), or
// base32(K) without a table (RFC 4648 standard alphabet, '=' padded, so that any key is a
// valid KV key; nats.go and nats-server accept [-/_=.a-zA-Z0-9]), holding Go's json.Marshal of
// go-micro's KeyValueEnvelope:
//   {"key":"K","data":"<standard base64 of the bytes>","metadata":<object, or null>}
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/detail/base64.hpp"
#include "eh/detail/go_json.hpp"
#include "eh/detail/json.hpp"
#include "eh/error.hpp"

namespace eh::detail::natsjskv {

inline constexpr std::string_view base32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Appends the padded standard base32 of in (Go's base32.StdEncoding).
inline void base32(std::string_view in, std::string& out) {
    std::uint64_t acc = 0;
    int bits = 0;
    std::size_t symbols = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        for (; bits >= 5; bits -= 5, ++symbols) out += base32_alphabet[(acc >> (bits - 5)) & 31];
    }
    if (bits > 0) {
        out += base32_alphabet[(acc << (5 - bits)) & 31];
        ++symbols;
    }
    for (; symbols % 8 != 0; ++symbols) out += '=';
}

/// Appends the KV key of the record `plain` under `table` (go-micro's natsjskv.NatsKey).
inline void key(std::string_view table, std::string_view plain, std::string& out) {
    if (table.empty()) return base32(plain, out);
    std::string full;
    full.reserve(table.size() + 1 + plain.size());
    full.append(table).append("_").append(plain);
    base32(full, out);
}

/// Appends the record of `data` under the plain key; write_metadata(out) appends the
/// metadata's JSON (an object, or null as go-micro writes a record without metadata).
template <class WriteMetadata>
void record(std::string_view plain_key, std::string_view data, WriteMetadata&& write_metadata, std::string& out) {
    out += R"({"key":)";
    go_json::quote(plain_key, out);
    out += R"(,"data":")";
    base64::encode(data, out);
    out += R"(","metadata":)";
    write_metadata(out);
    out += '}';
}

/// The bytes a record holds (its "data"), into data; false when value is not such a record.
inline bool record_data(std::string_view value, std::string& data) {
    json::od::document doc;
    json::od::object obj;
    if (json::open_object(value, doc, obj) != DecodeError::ok) return false;
    std::string b64;
    bool seen = false;
    for (auto field : obj) {
        std::string_view name;
        if (field.unescaped_key().get(name) != simdjson::SUCCESS) return false;
        if (name != "data") continue;
        json::od::value v;
        if (field.value().get(v) != simdjson::SUCCESS || !json::string_or_null(v, b64)) return false;
        seen = true;
    }
    data.clear();
    return seen && base64::decode(b64, data);
}

} // namespace eh::detail::natsjskv
