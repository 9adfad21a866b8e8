#pragma once
// Background threads of the stores (index builders) run at the lowest CPU priority: on a
// busy machine they take only what the ingest loop, the NATS client and the server leave.
#include <sys/resource.h>
#include <unistd.h>

namespace eh::detail {

/// Lowers the calling thread's priority to nice 19 (Linux: per thread). Best effort.
inline void lower_this_thread_priority() noexcept { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19); }

} // namespace eh::detail
