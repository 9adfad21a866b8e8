#pragma once
// Between the daemon's settings and its stores: the settings of a daemon whose store list is
// known (the core sections plus each store's own, SettingsFor<StoreList>), what every store
// policy is built from (to_store_settings), and the calls that hand a store its own section
// (make_store, check_store).
#include <tuple>
#include <type_traits>
#include <utility>

#include "eh/concepts.hpp"
#include "eh/config/settings.hpp"
#include "eh/store/by_name.hpp"
#include "eh/store/settings.hpp"

namespace eh::config {

namespace detail {

template <class Store>
struct own_sections {
    using type = std::tuple<>;
};
template <HasOwnSettings Store>
struct own_sections<Store> {
    using type = std::tuple<typename Store::Settings>;
};
/// Sections, each type once: stores may share one (two clocks of one store, say).
template <class Tuple, class... More>
struct unique_sections {
    using type = Tuple;
};
template <class... Have, class Next, class... More>
struct unique_sections<std::tuple<Have...>, std::tuple<Next>, More...>
    : unique_sections<std::conditional_t<(std::is_same_v<Have, Next> || ...), std::tuple<Have...>,
                                         std::tuple<Have..., Next>>,
                      More...> {};
template <class... Have, class... More>
struct unique_sections<std::tuple<Have...>, std::tuple<>, More...> : unique_sections<std::tuple<Have...>, More...> {};

template <class Tuple>
struct settings_with;
template <class... Sections>
struct settings_with<std::tuple<Sections...>> {
    using type = SettingsWith<Sections...>;
};
template <class Stores>
struct settings_for {
    static_assert(eh::detail::always_false<Stores>, "eh::config::SettingsFor takes an eh::store::StoreList<...>");
};
template <class... Stores>
struct settings_for<store::StoreList<Stores...>> {
    using type = typename settings_with<
        typename unique_sections<std::tuple<>, typename own_sections<Stores>::type...>::type>::type;
};

} // namespace detail

/// The settings of a daemon that offers the stores of Stores (an eh::store::StoreList): the
/// core sections, then each store's own (in list order).
template <class Stores>
using SettingsFor = typename detail::settings_for<Stores>::type;

inline store::StoreSettings to_store_settings(const Settings& s) {
    store::StoreSettings out{.nodes = s.store.nodes,
                             .database = s.store.database,
                             .table = s.store.table,
                             .ttl = s.store.ttl,
                             .username = s.store.auth_username,
                             .password = s.store.auth_password,
                             .disable_persistence = s.store.disable_persistence,
                             .replicas = s.store.replicas,
                             .limits = {.max_events = s.query.max_events,
                                        .max_bytes = s.grpc.max_message_bytes,
                                        .max_candidates = s.query.max_candidates,
                                        .max_user_id_bytes = s.query.max_user_id_bytes,
                                        .max_user_id_runs = s.query.max_user_id_runs},
                             .events = {.nodes = s.events.endpoint,
                                        .username = s.events.auth_username,
                                        .password = s.events.auth_password,
                                        .tls = {.enable = s.events.enable_tls,
                                                .insecure = s.events.tls_insecure,
                                                .root_ca_file = s.events.tls_root_ca_certificate}}};
    if (s.store.enable_tls)
        out.tls = {.enable = true, .insecure = s.store.tls_insecure, .root_ca_file = s.store.tls_root_ca_certificate};
    return out;
}

/// Store made from the daemon's settings, with its own section when it has one.
template <DaemonStore Store, class S>
Store make_store(const S& settings) {
    if constexpr (HasOwnSettings<Store>)
        return Store::make(to_store_settings(settings), settings.template section<typename Store::Settings>());
    else
        return Store::make(to_store_settings(settings));
}

/// Runs Store's check() on the daemon's settings, when it has one (eh::DaemonStore): with its
/// own section if it takes one, else with the store settings alone. Throws BadSetting.
template <DaemonStore Store, class S>
void check_store(const S& settings) {
    const store::StoreSettings core = to_store_settings(settings);
    if constexpr (HasOwnSettings<Store>) {
        const auto& own = settings.template section<typename Store::Settings>();
        if constexpr (requires { Store::check(core, own); }) {
            Store::check(core, own);
            return;
        }
    }
    if constexpr (requires { Store::check(core); }) Store::check(core);
}

} // namespace eh::config
