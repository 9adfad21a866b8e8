// Compiled by ctest with one EH_BROKEN_* macro: each must fail with one line naming the
// missing requirement (see tests/unit/CMakeLists.txt for the expected text).
#include "eh/event_history.hpp"
#include "eh/store/noop.hpp"
#include "eh/testing/scripted_transport.hpp"

struct BrokenTransport { // no fetch
    struct message_type {
        std::string_view data() const { return {}; }
    };
};
struct BrokenStore { // no find_by_user
    template <class C>
    eh::PutStats put(std::span<const eh::Event>, const C&) {
        return {};
    }
    template <class C>
    std::vector<eh::Event> get(std::span<const std::string>, const C&) {
        return {};
    }
};
struct BrokenCodec { // no decode
    void encode(const eh::Event&, std::string&) const {}
};

#if defined(EH_BROKEN_transport)
using History = eh::EventHistory<BrokenTransport, eh::store::NoopStore>;
#elif defined(EH_BROKEN_store)
using History = eh::EventHistory<eh::testing::ScriptedTransport, BrokenStore>;
#elif defined(EH_BROKEN_codec)
using History = eh::EventHistory<eh::testing::ScriptedTransport, eh::store::NoopStore, BrokenCodec>;
#endif

static_assert(sizeof(History) > 0);
