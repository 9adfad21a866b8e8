#pragma once
// The records' names: exactly ocis's key, base32 (RFC 4648 standard alphabet,
// '=' padded) of table + "_" + id, or of id when the table is empty; go-micro's nats-js-kv
// store encodes keys that way so that any id is a valid KV key, and '=' is a valid KV key
// character (nats.go and nats-server accept [-/_=.a-zA-Z0-9]). The index is not in that
// bucket but in a stream of its own (index.hpp), which an ocis reader never opens.
#include <cstdint>
#include <string>
#include <string_view>

namespace eh::store::detail::nats_kv {

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

class Keys {
public:
    Keys(std::string_view bucket, std::string_view table)
        : bucket_(bucket), table_(table), records_(std::string("$KV.") + bucket_ + "."),
          stream_direct_get_(std::string("$JS.API.DIRECT.GET.KV_") + bucket_),
          direct_get_(stream_direct_get_ + "." + records_) {}

    const std::string& bucket() const noexcept { return bucket_; }

    /// ocis's record key of id, appended to out.
    void record_key(std::string_view id, std::string& out) const {
        if (table_.empty()) return base32(id, out);
        std::string full;
        full.reserve(table_.size() + 1 + id.size());
        full.append(table_).append("_").append(id);
        base32(full, out);
    }
    std::string record_key(std::string_view id) const {
        std::string k;
        record_key(id, k);
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
