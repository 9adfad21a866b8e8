#pragma once
// How a setting's value is read from text (defaults, YAML scalars, environment, flags all
// give text) and written back (the effective-settings summary). One Value<T> per type, with
// parse(text) -> optional<T>, format(T), what() (the noun of "bad <what>"), type_name() (for
// --help and the docs) and optionally hint() (appended to a parse error). An enumeration joins
// by specialising Choices<E>.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eh/config/duration.hpp"

namespace eh::config {

template <class T>
struct Value;

template <>
struct Value<std::string> {
    static std::string what() { return "text"; }
    static std::string_view type_name() { return "TEXT"; }
    static std::optional<std::string> parse(std::string_view s) { return std::string(s); }
    static std::string format(const std::string& v) { return v; }
};

/// Go's strconv.ParseBool, which ocis applies to its environment.
template <>
struct Value<bool> {
    static std::string what() { return "boolean"; }
    static std::string_view type_name() { return "BOOL"; }
    static std::optional<bool> parse(std::string_view s) {
        for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
            if (s == t) return true;
        for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
            if (s == f) return false;
        return std::nullopt;
    }
    static std::string format(bool v) { return v ? "true" : "false"; }
};

template <std::unsigned_integral T>
struct Value<T> {
    static std::string what() { return "unsigned integer"; }
    static std::string_view type_name() { return "UINT"; }
    static std::optional<T> parse(std::string_view s) {
        T v{};
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
        return v;
    }
    static std::string format(T v) { return std::to_string(v); }
};

template <>
struct Value<std::chrono::nanoseconds> {
    static std::string what() { return "duration"; }
    static std::string_view type_name() { return "DURATION"; }
    static std::optional<std::chrono::nanoseconds> parse(std::string_view s) { return parse_duration(s); }
    static std::string format(std::chrono::nanoseconds v) { return format_duration(v); }
};

/// A comma-separated list; blanks around items and empty items are dropped. YAML may also
/// give a sequence, whose items arrive here one by one.
template <>
struct Value<std::vector<std::string>> {
    static std::string what() { return "list"; }
    static std::string_view type_name() { return "LIST"; }
    static std::optional<std::vector<std::string>> parse(std::string_view s) {
        std::vector<std::string> out;
        while (!s.empty()) {
            const auto comma = std::min(s.find(','), s.size());
            std::string_view item = s.substr(0, comma);
            s.remove_prefix(std::min(comma + 1, s.size()));
            item.remove_prefix(std::min(item.find_first_not_of(" \t"), item.size()));
            item = item.substr(0, item.find_last_not_of(" \t") + 1);
            if (!item.empty()) out.emplace_back(item);
        }
        return out;
    }
    static std::string format(const std::vector<std::string>& v) {
        std::string out;
        for (const auto& item : v) out += (out.empty() ? "" : ",") + item;
        return out;
    }
};

/// The names of an enumeration's values, e.g. {{"all", DeliverPolicy::all}, ...}. Several
/// names may map to one value (aliases); the first one is how the value is written. An
/// optional `note` is added to the message about a value none of them names.
template <class E>
struct Choices;

template <class E>
    requires requires { Choices<E>::names; }
struct Value<E> {
    static std::string type_name() {
        std::string out;
        for (std::size_t i = 0; i < Choices<E>::names.size(); ++i)
            out += (i ? "|" : "") + std::string(Choices<E>::names[i].first);
        return out;
    }
    static std::string what() { return "value"; }
    static std::string hint() {
        std::string note;
        if constexpr (requires { Choices<E>::note; }) note = "; " + std::string(Choices<E>::note);
        return " (expected " + type_name() + note + ")";
    }
    static std::optional<E> parse(std::string_view s) {
        for (const auto& [name, value] : Choices<E>::names)
            if (s == name) return value;
        return std::nullopt;
    }
    static std::string format(E v) {
        for (const auto& [name, value] : Choices<E>::names)
            if (v == value) return std::string(name);
        return "?";
    }
};

} // namespace eh::config
