#pragma once
// The records' names and subjects: exactly ocis's key (go-micro's nats-js-kv layout,
// eh/detail/natsjskv/record.hpp) of the id under the table. The index is not in that bucket
// but in a stream of its own (index.hpp), which an ocis reader never opens.
#include <cstdint>
#include <string>
#include <string_view>

#include "eh/detail/natsjskv/record.hpp"

namespace eh::store::detail::nats_kv {

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
