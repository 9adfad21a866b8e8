#pragma once
// Names the calling thread (Linux: up to 15 characters), so that `top -H`, /proc/<pid>/task
// and debuggers tell the ingest loop and the index builders apart. Best effort.
#include <pthread.h>

namespace eh::detail {

inline void name_this_thread(const char* name) noexcept { pthread_setname_np(pthread_self(), name); }

} // namespace eh::detail
