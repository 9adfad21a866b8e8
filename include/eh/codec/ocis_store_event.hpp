#pragma once
// The value ocis's eventhistory writes into byte stores: Go's json.Marshal of
//   type StoreEvent struct { ID string; Type string; Event []byte }
// i.e. {"ID":"<id>","Type":"<type>","Event":"<base64 payload>"} (docs/ocis-contract.md section 3).
#include <string>
#include <string_view>

#include "eh/detail/ascii.hpp"
#include "eh/detail/base64.hpp"
#include "eh/detail/go_json.hpp"
#include "eh/detail/json.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"

namespace eh::codec {

/// Encodes byte-for-byte as ocis does; decodes tolerantly (any key order and case, unknown
/// keys ignored). The StoreEvent has no timestamp, traceparent or initiator: those are lost,
/// exactly as in ocis.
struct OcisStoreEvent {
    void encode(const Event& e, std::string& out) const {
        out.reserve(out.size() + e.id.size() + e.type.size() + detail::base64::encoded_size(e.payload.size()) + 32);
        out += R"({"ID":)";
        detail::go_json::quote(e.id, out);
        out += R"(,"Type":)";
        detail::go_json::quote(e.type, out);
        out += R"(,"Event":")";
        detail::base64::encode(e.payload, out);
        out += R"("})";
    }

    DecodeError decode(std::string_view in, Event& out) const {
        namespace json = detail::json;
        out = Event{};
        json::od::document doc;
        json::od::object obj;
        if (auto e = json::open_object(in, doc, obj); e != DecodeError::ok) return e;
        std::string b64;
        for (auto field : obj) {
            std::string_view key;
            json::od::value val;
            if (field.unescaped_key().get(key) != simdjson::SUCCESS || field.value().get(val) != simdjson::SUCCESS)
                return DecodeError::not_json;
            std::string* target = detail::iequals(key, "id")      ? &out.id
                                  : detail::iequals(key, "type")  ? &out.type
                                  : detail::iequals(key, "event") ? &b64
                                                                  : nullptr;
            if (target && !json::string_or_null(val, *target))
                return target == &b64 ? DecodeError::bad_payload : DecodeError::bad_field;
        }
        if (!detail::base64::decode(b64, out.payload)) return DecodeError::bad_payload;
        return DecodeError::ok;
    }
};

} // namespace eh::codec
