#pragma once
// `eh-bench ingest --store-type nats-js-kv`: the daemon writes to a fresh bucket on the
// workload's own NATS server; the ceiling consumes the stream, publishes each batch's ocis
// records (the store's own key and record encoding) to $KV.<bucket>.<key> in a fresh bucket,
// all in flight at once, waits for every pub ack, then acks the batch. Plain puts: the
// store's only-if-new check and its index are what the daemon adds to this.
#include <chrono>
#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "eh/codec/ocis_store_event.hpp"
#include "eh/store/detail/nats_kv/keys.hpp"
#include "eh/store/detail/nats_kv/pipeline.hpp"
#include "eh/store/detail/nats_kv/record.hpp"
#include "eh/store/settings.hpp"
#include "raw_consumer.hpp"
#include "store_bench.hpp"
#include "workload.hpp"

namespace eh_bench {

class NatsKvBench final : public StoreBench {
public:
    /// Encodes every record of the workload now, outside the measurement.
    NatsKvBench(std::string endpoint, const Workload& w) : endpoint_(std::move(endpoint)) {
        namespace kv = eh::store::detail::nats_kv;
        const eh::codec::OcisStoreEvent codec;
        const kv::Keys keys("", ""); // the daemon's default table; the key does not depend on the bucket
        std::string data;
        for (const auto& g : w.events()) {
            data.clear();
            codec.encode(g.event, data);
            Record& r = records_.emplace_back(Record{keys.record_key(g.event.id), {}});
            kv::encode_record(g.event, data, r.value);
        }
    }

    std::string ceiling_name() const override { return "consume + nats-js-kv write"; }

    std::vector<std::string> daemon_flags(const std::string& run) override {
        return {"--store-nodes", endpoint_, "--store-database", bucket_of(run)};
    }

    double ceiling(const std::string& endpoint, std::size_t count, int batch, const std::string& run) override {
        namespace kv = eh::store::detail::nats_kv;
        const std::string bucket = "eh-bench-ceiling-" + run;
        const nats::Connection connection = connect_nats(endpoint_); // the store's own, as in the daemon
        const nats::JetStream js = jetstream(connection.get());
        create_bucket(js.get(), bucket);
        const kv::Keys keys(bucket, "");
        std::vector<kv::Request> puts;
        for (const Record& r : records_) puts.push_back({.subject = keys.record_subject(r.key), .payload = r.value});
        std::vector<kv::Request> requests;
        kv::ReplyBox replies(connection.get()); // one for all batches, as the store keeps its own
        const double rate = raw_consumer_rate(endpoint, count, batch, bucket, [&](std::size_t first, std::size_t n) {
            requests.clear();
            for (std::size_t i = 0; i < n; ++i) requests.push_back(puts[(first + i) % puts.size()]);
            const auto acks = replies.exchange(requests, std::chrono::seconds{10}, kv::Send::flush);
            for (std::size_t i = 0; i < acks.size(); ++i)
                if (acks[i].data().empty() || acks[i].data().find("\"error\"") != std::string_view::npos)
                    throw std::runtime_error("nats-js-kv ceiling: writing " + requests[i].subject + ": " +
                                             std::string(acks[i].data()));
        });
        const std::size_t held = records_in(js.get(), bucket);
        js_DeleteKeyValue(js.get(), bucket.c_str());
        if (held != std::min(count, records_.size()))
            throw std::runtime_error("nats-js-kv ceiling: the bucket holds " + std::to_string(held) + " records");
        return rate;
    }

    std::size_t records(const std::string& run) override {
        const nats::Connection connection = connect_nats(endpoint_);
        const nats::JetStream js = jetstream(connection.get());
        return records_in(js.get(), bucket_of(run));
    }

    /// The daemon's bucket and its index stream (README: "a `<database>-index` stream").
    void drop(const std::string& run) override {
        const nats::Connection connection = connect_nats(endpoint_);
        const nats::JetStream js = jetstream(connection.get());
        const std::string bucket = bucket_of(run);
        js_DeleteKeyValue(js.get(), bucket.c_str());
        js_DeleteStream(js.get(), (bucket + "-index").c_str(), nullptr, nullptr);
    }

private:
    struct Record {
        std::string key;   ///< ocis's base32 key
        std::string value; ///< ocis's record JSON
    };

    static std::string bucket_of(const std::string& run) { return "eh-bench-" + run; }

    /// As the store creates a missing bucket: history 1, max age = the daemon's default TTL, on disk.
    static void create_bucket(jsCtx* js, const std::string& name) {
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = name.c_str();
        cfg.History = 1;
        cfg.TTL = eh::store::StoreSettings{}.ttl.count();
        cfg.StorageType = js_FileStorage;
        kvStore* kv = nullptr;
        nats::require(js_CreateKeyValue(&kv, js, &cfg), "creating bucket " + name);
        kvStore_Destroy(kv);
    }

    /// The keys of bucket (history 1: one value each).
    static std::size_t records_in(jsCtx* js, const std::string& bucket) {
        kvStore* kv = nullptr;
        nats::require(js_KeyValue(&kv, js, bucket.c_str()), "opening bucket " + bucket);
        const std::unique_ptr<kvStore, decltype(&kvStore_Destroy)> owned(kv, kvStore_Destroy);
        kvStatus* status = nullptr;
        nats::require(kvStore_Status(&status, kv), "status of bucket " + bucket);
        const auto values = kvStatus_Values(status);
        kvStatus_Destroy(status);
        return static_cast<std::size_t>(values);
    }

    std::string endpoint_;
    std::vector<Record> records_;
};

} // namespace eh_bench
