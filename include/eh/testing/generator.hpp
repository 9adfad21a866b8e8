#pragma once
// Reva-like events in the exact go-micro envelope ocis publishes: Go field names, base64
// Payload, event id and type in Metadata (docs/ocis-contract.md section 1).
// One generator for the unit tests, the integration tests and eh-bench, so that what is
// measured is what is tested. Deterministic for a given seed.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "eh/detail/base64.hpp"
#include "eh/detail/go_json.hpp"
#include "eh/detail/rfc3339.hpp"
#include "eh/event.hpp"

namespace eh::testing {

struct GeneratorOptions {
    std::uint64_t seed = 1;
    std::size_t users = 100;
    /// Besides uuids, use e-mail-like ids and ids with regex metacharacters ("a.b*c+(x)").
    bool exotic_user_ids = false;
    Timestamp start = Timestamp{std::chrono::seconds{1'764'306'870}};
    std::chrono::nanoseconds step = std::chrono::milliseconds{10}; ///< timestamp increment per event
    int utc_offset_minutes = 120;                                  ///< offset the Timestamp is written in
    std::string idp = "https://cloud.example.com";
};

struct GeneratedEvent {
    Event event;          ///< what a correct decoder must produce
    std::string envelope; ///< the bytes published on the bus
};

class EventGenerator {
public:
    explicit EventGenerator(GeneratorOptions options = {}) : options_(std::move(options)), rng_(options_.seed) {
        for (std::size_t i = 0; i < options_.users; ++i) users_.push_back(make_user_id(i));
        storage_ = uuid();
    }

    const std::vector<std::string>& users() const noexcept { return users_; }

    GeneratedEvent next() {
        GeneratedEvent g;
        Event& e = g.event;
        e.id = uuid();
        e.timestamp = options_.start + options_.step * static_cast<std::int64_t>(count_++);
        e.traceparent = "00-" + hex(32) + "-" + hex(16) + "-01";
        const std::string& actor = pick_user();
        const std::string& other = pick_user();
        switch (std::uniform_int_distribution<int>(0, 5)(rng_)) {
        case 0: e.type = "events.UploadReady"; e.payload = upload_ready(actor); break;
        case 1: e.type = "events.FileUploaded"; e.payload = file_uploaded(actor, other); break;
        case 2: e.type = "events.ShareCreated"; e.payload = share_created(actor, other); break;
        case 3: e.type = "events.UserCreated"; e.payload = user_created(actor, other); break;
        case 4: e.type = "events.ItemTrashed"; e.payload = item_trashed(actor, other); break;
        default: e.type = "events.SpaceCreated"; e.payload = space_created(actor); break;
        }
        g.envelope = envelope(e, uuid());
        return g;
    }

    /// The go-micro envelope of e, with go-micro's own message id (not the event id).
    std::string envelope(const Event& e, std::string_view micro_id) const {
        std::string out = R"({"Timestamp":)";
        detail::go_json::quote(detail::rfc3339::format(e.timestamp, options_.utc_offset_minutes), out);
        out += R"(,"Metadata":{"eventid":)";
        detail::go_json::quote(e.id, out);
        out += R"(,"eventtype":)";
        detail::go_json::quote(e.type, out);
        out += R"(,"initiatorid":)";
        detail::go_json::quote(e.initiatorid, out);
        out += R"(,"traceparent":)";
        detail::go_json::quote(e.traceparent, out);
        out += R"(},"ID":)";
        detail::go_json::quote(micro_id, out);
        out += R"(,"Topic":"main-queue","Payload":")";
        detail::base64::encode(e.payload, out);
        out += R"("})";
        return out;
    }

private:
    std::string uuid() {
        std::string h = hex(32);
        return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20);
    }
    std::string hex(std::size_t n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s(n, '0');
        for (auto& c : s) c = digits[rng_() & 15];
        return s;
    }
    std::string make_user_id(std::size_t i) {
        if (!options_.exotic_user_ids) return uuid();
        switch (i % 3) {
        case 0: return uuid();
        case 1: return "user" + std::to_string(i) + ".name@example.com";
        default: return "a.b*c+(" + std::to_string(i) + ")|[x]?{2}^$";
        }
    }
    const std::string& pick_user() { return users_[std::uniform_int_distribution<std::size_t>(0, users_.size() - 1)(rng_)]; }

    std::string q(std::string_view s) const {
        std::string out;
        detail::go_json::quote(s, out);
        return out;
    }
    std::string uid(const std::string& u) const {
        return R"({"idp":)" + q(options_.idp) + R"(,"opaque_id":)" + q(u) + R"(,"type":1})";
    }
    std::string user(const std::string& u) {
        return R"({"id":)" + uid(u) + R"(,"username":"u)" + hex(6) + R"(","mail":"u)" + hex(6) +
               R"(@example.com","display_name":"User )" + hex(4) + R"("})";
    }
    std::string space_of(const std::string& u) const { return storage_ + "$" + u; }
    std::string ref(const std::string& owner) {
        return R"({"resource_id":{"storage_id":)" + q(storage_) + R"(,"space_id":)" + q(owner) + R"(,"opaque_id":")" +
               uuid() + R"("},"path":"./docs/)" + hex(8) + R"(.txt"})";
    }
    std::string ts() const { return R"({"seconds":)" + std::to_string(1'764'306'870 + count_) + R"(,"nanos":0})"; }

    std::string upload_ready(const std::string& u) {
        return R"({"UploadID":")" + uuid() + R"(","Filename":"report-)" + hex(6) + R"(.pdf","SpaceOwner":)" + uid(u) +
               R"(,"ExecutingUser":)" + user(u) + R"(,"ImpersonatingUser":null,"FileRef":)" + ref(u) +
               R"(,"Timestamp":)" + ts() + R"(,"Failed":false,"IsVersion":false})";
    }
    std::string file_uploaded(const std::string& u, const std::string& owner) {
        return R"({"SpaceOwner":)" + uid(owner) + R"(,"Executant":)" + uid(u) + R"(,"Ref":)" + ref(owner) +
               R"(,"Owner":)" + uid(owner) + R"(,"Timestamp":)" + ts() + "}";
    }
    std::string share_created(const std::string& u, const std::string& grantee) {
        return R"({"ShareID":{"opaque_id":")" + uuid() + R"("},"Executant":)" + uid(u) + R"(,"Sharer":)" + uid(u) +
               R"(,"GranteeUserID":)" + uid(grantee) +
               R"(,"GranteeGroupID":null,"ItemID":{"storage_id":)" + q(storage_) + R"(,"space_id":)" +
               q(space_of(u)) + R"(,"opaque_id":")" + uuid() +
               R"("},"Permissions":{"permissions":{"stat":true,"get_path":true,"list_container":true}},"CTime":)" +
               ts() + "}";
    }
    std::string user_created(const std::string& admin, const std::string& created) {
        return R"({"Executant":)" + uid(admin) + R"(,"UserID":)" + q(created) + R"(,"Timestamp":)" + ts() + "}";
    }
    std::string item_trashed(const std::string& u, const std::string& owner) {
        return R"({"SpaceOwner":)" + uid(owner) + R"(,"Executant":)" + uid(u) + R"(,"Ref":)" + ref(owner) +
               R"(,"ID":{"storage_id":)" + q(storage_) + R"(,"space_id":)" + q(space_of(owner) + "!" + uuid()) +
               R"(,"opaque_id":")" + uuid() + R"("},"Owner":)" + uid(owner) + R"(,"Timestamp":")" +
               detail::rfc3339::format(options_.start) + R"("})";
    }
    std::string space_created(const std::string& u) {
        return R"({"Executant":)" + uid(u) + R"(,"ID":{"opaque_id":)" + q(space_of(u) + "!" + u) + R"(},"Owner":)" +
               uid(u) + R"(,"Root":{"storage_id":)" + q(storage_) + R"(,"opaque_id":)" + q(u) +
               R"(},"Name":"Personal )" + hex(4) + R"(","Type":"personal","Quota":null,"MTime":)" + ts() + "}";
    }

    GeneratorOptions options_;
    std::mt19937_64 rng_;
    std::vector<std::string> users_;
    std::string storage_;
    std::uint64_t count_ = 0;
};

} // namespace eh::testing
