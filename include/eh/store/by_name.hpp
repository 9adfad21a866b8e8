#pragma once
// A compile-time list of store policies, chosen from at run time by name: the daemon's
// `--store memory` becomes EventHistory<Transport, MemoryStore, Codec> without virtual calls.
// Each store says all the daemon needs to know about it (eh::DaemonStore): a custom daemon
// adds its own store to its list without touching the framework.
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "eh/concepts.hpp"

namespace eh::store {

template <class... Stores>
struct StoreList {
    static_assert((eh::detail::check_daemon_store<Stores>() && ...));

    static constexpr auto types = boost::hana::tuple_t<Stores...>;

    /// The names, in list order (for --help and for "unknown store" errors).
    static std::vector<std::string_view> names() { return {Stores::name...}; }

    /// Calls f(boost::hana::type_c<S>) for the store S named name; false when none is.
    template <class F>
    static bool visit(std::string_view name, F&& f) {
        bool found = false;
        boost::hana::for_each(types, [&](auto type) {
            using S = typename decltype(type)::type;
            if (!found && S::name == name) {
                found = true;
                f(type);
            }
        });
        return found;
    }
};

} // namespace eh::store
