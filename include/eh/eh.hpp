#pragma once
// The framework in one include (the daemon's transport and stores with I/O are separate).
#include "eh/clock.hpp"
#include "eh/codec/ocis_store_event.hpp"
#include "eh/concepts.hpp"
#include "eh/counters.hpp"
#include "eh/envelope/decode.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/event_history.hpp"
#include "eh/index/match.hpp"
#include "eh/index/tokens.hpp"
#include "eh/store/memory.hpp"
#include "eh/store/noop.hpp"
