#pragma once
// The envelope decoder's fast path: a scanner for exactly the JSON that Go's encoding/json
// writes for a go-micro event, and nothing more. It takes the message as it is (simdjson
// wants a padded copy), looks at each byte about once, and decodes the base64 payload
// straight from the message.
//
// It accepts a strict subset of JSON: an object whose values are strings without escapes,
// null, or (Metadata) an object of such values; printable ASCII only inside strings. On
// anything else, or any doubt (escapes, numbers, a bad timestamp or payload, trailing
// bytes), it gives up and the general decoder (simdjson) decides, errors included. So what
// it accepts, it decodes exactly as the general decoder does; the envelope fuzz target
// checks the two against each other.
#include <cstddef>
#include <string>
#include <string_view>

#include "eh/detail/ascii.hpp"
#include "eh/detail/base64.hpp"
#include "eh/envelope/detail/fields.hpp"
#include "eh/event.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eh::envelope::detail::strict {

/// Index of the first byte at or after `at` that ends a plain string: '"', '\\', a control
/// character or a non-ASCII byte; text.size() when there is none.
inline std::size_t string_end(std::string_view text, std::size_t at) noexcept {
    const char* p = text.data();
    const std::size_t n = text.size();
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(' ');
    for (; at + 16 <= n; at += 16) {
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
        // Signed compare: bytes >= 0x80 are negative, so "below a space" catches them too.
        const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, quote), _mm_cmpeq_epi8(c, backslash)),
                                          _mm_cmplt_epi8(c, space));
        if (const int bits = _mm_movemask_epi8(stop)) return at + static_cast<std::size_t>(__builtin_ctz(bits));
    }
#endif
    for (; at < n; ++at) {
        const auto c = static_cast<unsigned char>(p[at]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return at;
    }
    return n;
}

/// A cursor over the message; every reader returns false when the input leaves the subset.
class Scanner {
public:
    explicit Scanner(std::string_view text) noexcept : text_(text) {}

    void skip_space() noexcept {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t'))
            ++at_;
    }
    /// Skips whitespace, then takes c if it is next.
    bool take(char c) noexcept {
        skip_space();
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    bool at_end() noexcept {
        skip_space();
        return at_ == text_.size();
    }
    /// A string without escapes, its quotes already expected next.
    bool string(std::string_view& out) noexcept {
        if (!take('"')) return false;
        const std::size_t end = string_end(text_, at_);
        if (end == text_.size() || text_[end] != '"') return false;
        out = text_.substr(at_, end - at_);
        at_ = end + 1;
        return true;
    }
    /// Takes a null if it is next.
    bool null() noexcept {
        skip_space();
        if (text_.substr(at_, 4) != "null") return false;
        at_ += 4;
        return true;
    }
    /// A string as above, or null (-> empty).
    bool string_or_null(std::string_view& out) noexcept {
        if (null()) {
            out = {};
            return true;
        }
        return string(out);
    }

private:
    std::string_view text_;
    std::size_t at_ = 0;
};

/// Reads `{ "key": value, ... }` (or an empty object), calling field(key) for each key with
/// the scanner before its value; field reads the value and returns false to give up.
template <class Field>
bool object(Scanner& s, Field&& field) {
    if (!s.take('{')) return false;
    if (s.take('}')) return true;
    do {
        std::string_view key;
        if (!s.string(key) || !s.take(':') || !field(key)) return false;
    } while (s.take(','));
    return s.take('}');
}

/// Metadata as the general decoder reads it: null, or an object; its values are strings or
/// null here (the general decoder also skips other values of unknown keys).
inline bool metadata(Scanner& s, Event& out) {
    if (s.null()) return true;
    return object(s, [&](std::string_view key) {
        std::string_view v;
        if (!s.string_or_null(v)) return false;
        if (std::string* target = metadata_field(out, key)) target->assign(v); // null: empty
        return true;
    });
}

/// The whole envelope, or false (out is then unspecified). envelope_id and timestamp are
/// the raw ID and Timestamp values (views into message), for the common finishing steps.
inline bool decode(std::string_view message, Event& out, std::string_view& envelope_id, std::string_view& timestamp) {
    using eh::detail::iequals;
    Scanner s(message);
    const bool ok = object(s, [&](std::string_view key) {
        std::string_view v;
        if (iequals(key, "metadata")) return metadata(s, out);
        if (iequals(key, "payload")) {
            out.payload.clear();
            return s.null() || (s.string(v) && eh::detail::base64::decode(v, out.payload));
        }
        if (!s.string_or_null(v)) return false; // Topic and unknown keys: strings or null only
        if (iequals(key, "id")) envelope_id = v;
        else if (iequals(key, "timestamp")) timestamp = v;
        return true;
    });
    return ok && s.at_end();
}

} // namespace eh::envelope::detail::strict
