#pragma once
// Owning handles for C libraries' objects (cnats, OpenSSL): each destroyed exactly once, by
// the function the library names for it.
#include <memory>

namespace eh::detail {

template <class T, void (*Destroy)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Destroy(p); }
};

template <class T, void (*Destroy)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Destroy>>;

} // namespace eh::detail
