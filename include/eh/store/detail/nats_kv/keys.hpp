#pragma once
// The records' names and subjects: exactly ocis's key (go-micro's nats-js-kv layout,
// eh/detail/natsjskv/record.hpp) of the id under the table. The index is not in that bucket
// but in a stream of its own (index.hpp), which an ocis reader never opens.
//
// A key becomes part of a subject, which the server reads in its control line (4 KiB by
// default; longer closes the connection): a key is valid the way NATS KV clients check it
// (not empty, no '.' at either end, only [-/_=.a-zA-Z0-9]) and at most max_key_bytes long.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eh/detail/natsjskv/record.hpp"

namespace eh::store::detail::nats_kv {

/// A key's longest form: with the longest subject around it ("$JS.API.DIRECT.GET.KV_<bucket>.
/// $KV.<bucket>.<key>"), a reply inbox and the sizes, well within 4 KiB.
inline constexpr std::size_t max_key_bytes = 1024;

/// Whether key is a valid NATS KV key (nats.go's keyValid) of at most max_key_bytes.
constexpr bool valid_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_key_bytes || key.front() == '.' || key.back() == '.') return false;
    for (char c : key) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '/' || c == '_' || c == '=' || c == '.';
        if (!ok) return false;
    }
    return true;
}

class Keys {
public:
    Keys(std::string_view bucket, std::string_view table)
        : bucket_(bucket), table_(table), records_(std::string("$KV.") + bucket_ + "."),
          stream_direct_get_(std::string("$JS.API.DIRECT.GET.KV_") + bucket_),
          direct_get_(stream_direct_get_ + "." + records_) {}

    const std::string& bucket() const noexcept { return bucket_; }

    /// ocis's record key of id, appended to out.
    void record_key(std::string_view id, std::string& out) const { eh::detail::natsjskv::key(table_, id, out); }
    std::string record_key(std::string_view id) const {
        std::string k;
        record_key(id, k);
        return k;
    }
    /// The record key of id when it is a valid key (see above); nullopt for an id too long to
    /// be one (or empty without a table). Checked before any encoding: cheap for huge ids.
    std::optional<std::string> valid_record_key(std::string_view id) const {
        const std::size_t plain = table_.empty() ? id.size() : table_.size() + 1 + id.size();
        if ((plain + 4) / 5 * 8 > max_key_bytes) return std::nullopt;
        std::string k = record_key(id);
        if (!valid_key(k)) return std::nullopt;
        return k;
    }

    /// A KV put is a JetStream publish to $KV.<bucket>.<key>.
    std::string record_subject(std::string_view rk) const { return records_ + std::string(rk); }
    /// The last value of the key, from any server of the bucket.
    std::string direct_get_subject(std::string_view rk) const { return direct_get_ + std::string(rk); }

    /// The bucket's stream "KV_<bucket>", read by record sequence: a direct get to this
    /// subject with by_sequence(seq); its reply names the record's subject (Nats-Subject).
    const std::string& stream_direct_get() const noexcept { return stream_direct_get_; }
    static std::string by_sequence(std::uint64_t seq) { return R"({"seq":)" + std::to_string(seq) + "}"; }
    /// The stream's info (first and last sequence: replies.hpp).
    std::string stream_info() const { return "$JS.API.STREAM.INFO.KV_" + bucket_; }

private:
    std::string bucket_, table_, records_, stream_direct_get_, direct_get_;
};

} // namespace eh::store::detail::nats_kv
