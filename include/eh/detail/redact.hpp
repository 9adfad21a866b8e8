#pragma once
// Credentials out of what is printed: a URL's user info ("nats://TOKEN@host:4222",
// "nats://user:pass@host") becomes "***" wherever URLs are logged or shown.
#include <string>
#include <string_view>

namespace eh::detail {

/// text with the user info of every URL in it ("scheme://<userinfo>@") replaced by "***".
inline std::string redact_urls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0;;) {
        const auto scheme_end = text.find("://", at);
        if (scheme_end == std::string_view::npos) {
            out.append(text.substr(at));
            return out;
        }
        const std::size_t host = scheme_end + 3;
        out.append(text.substr(at, host - at));
        // The authority ends at the first '/', ',', whitespace or the end; user info, at its last '@'.
        const auto authority_end = std::min(text.find_first_of("/, \t\r\n", host), text.size());
        const auto user_end = text.substr(host, authority_end - host).rfind('@');
        if (user_end != std::string_view::npos) {
            out.append("***");
            at = host + user_end;
        } else {
            at = host;
        }
    }
}

} // namespace eh::detail
