#pragma once
// One simdjson on-demand parser per thread, with its padded input buffer: decoders stay
// stateless (copyable, usable from any thread) without allocating a parser per message.
#include <simdjson.h>

#include <string>
#include <string_view>

#include "eh/error.hpp"

namespace eh::detail::json {

namespace od = simdjson::ondemand;

struct ThreadParser {
    od::parser parser;
    std::string buffer;

    /// Copies text into the padded buffer and starts iterating it. The document borrows
    /// this parser: use it before the next call on the same thread.
    simdjson::simdjson_result<od::document> iterate(std::string_view text) {
        buffer.assign(text);
        buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
        return parser.iterate(simdjson::padded_string_view(buffer.data(), text.size(), buffer.size()));
    }
};

inline ThreadParser& thread_parser() {
    thread_local ThreadParser p;
    return p;
}

/// Whether a document that does not start an object is still valid JSON (on-demand parsing
/// only looks at the first byte to tell the type).
inline bool valid_scalar_or_array(od::document& doc, od::json_type t) {
    switch (t) {
    case od::json_type::array: {
        od::array a;
        std::size_t n;
        return doc.get_array().get(a) == simdjson::SUCCESS && a.count_elements().get(n) == simdjson::SUCCESS;
    }
    case od::json_type::string: {
        std::string_view s;
        return doc.get_string().get(s) == simdjson::SUCCESS;
    }
    case od::json_type::number: {
        double d;
        return doc.get_double().get(d) == simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
        bool b;
        return doc.get_bool().get(b) == simdjson::SUCCESS;
    }
    case od::json_type::null: {
        bool is_null = false;
        return doc.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
    default: return false;
    }
}

/// Opens the top-level object of text, mapping simdjson's failure to our error.
inline DecodeError open_object(std::string_view text, od::document& doc, od::object& obj) {
    if (thread_parser().iterate(text).get(doc) != simdjson::SUCCESS) return DecodeError::not_json;
    od::json_type t;
    if (doc.type().get(t) != simdjson::SUCCESS) return DecodeError::not_json;
    if (t != od::json_type::object) return valid_scalar_or_array(doc, t) ? DecodeError::not_object : DecodeError::not_json;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return DecodeError::not_json;
    return DecodeError::ok;
}

/// Reads a string or null (-> empty) into out; false for any other JSON type.
inline bool string_or_null(od::value v, std::string& out) {
    bool is_null = false;
    if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
        out.clear();
        return true;
    }
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return false;
    out.assign(s);
    return true;
}

} // namespace eh::detail::json
