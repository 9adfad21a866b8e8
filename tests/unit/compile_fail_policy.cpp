// Compiled by ctest with one EH_BROKEN_* macro: each must fail with one line naming the
// missing requirement (see tests/unit/CMakeLists.txt for the expected text).
#include "eh/event_history.hpp"
#include "eh/store/noop.hpp"
#include "eh/testing/scripted_transport.hpp"
#include "broken_policies.hpp"

#if defined(EH_BROKEN_transport)
using History = eh::EventHistory<broken::Transport, eh::store::NoopStore>;
#elif defined(EH_BROKEN_store)
using History = eh::EventHistory<eh::testing::ScriptedTransport, broken::Store>;
#elif defined(EH_BROKEN_immovable_store)
using History = eh::EventHistory<eh::testing::ScriptedTransport, broken::ImmovableStore>;
#elif defined(EH_BROKEN_store_list)
#include "eh/store/by_name.hpp"
using History = eh::store::StoreList<eh::store::NoopStore, broken::UnlistableStore>;
#elif defined(EH_BROKEN_store_settings)
#include "eh/store/by_name.hpp"
using History = eh::store::StoreList<eh::store::NoopStore, broken::StoreIgnoringItsSettings>;
#elif defined(EH_BROKEN_codec)
using History = eh::EventHistory<eh::testing::ScriptedTransport, eh::store::NoopStore, broken::Codec>;
#endif

static_assert(sizeof(History) > 0);
