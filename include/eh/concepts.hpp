#pragma once
// The policy requirements of EventHistory<Transport, Store, Codec>.
//
// Each concept is split into small named parts so that a policy that misses one fails with
// a single static_assert naming exactly that requirement (see detail::check_*), the way
// Boost.Beast checks is_body<> up front instead of failing deep inside a template.
#include <chrono>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/hana/concept/struct.hpp>

#include "eh/config/meta.hpp"
#include "eh/error.hpp"
#include "eh/event.hpp"
#include "eh/store/put_stats.hpp"
#include "eh/store/settings.hpp"

namespace eh {

// --- Codec: an Event <-> stored value bytes ------------------------------------------------

template <class C>
concept CodecCanEncode = requires(const C& c, const Event& e, std::string& out) {
    { c.encode(e, out) } -> std::same_as<void>; // appends to out
};
template <class C>
concept CodecCanDecode = requires(const C& c, std::string_view in, Event& out) {
    { c.decode(in, out) } -> std::same_as<DecodeError>;
};
template <class C>
concept Codec = std::semiregular<C> && CodecCanEncode<C> && CodecCanDecode<C>;

// --- Clock ---------------------------------------------------------------------------------

template <class K>
concept Clock = std::copy_constructible<K> && requires(const K& k) {
    { k.now() } -> std::same_as<Timestamp>;
};

// --- Transport: where messages come from and how they are settled ---------------------------

template <class T>
concept TransportHasMessage = requires { typename T::message_type; };

template <class M>
concept TransportMessage = std::movable<M> && requires(const M& m) {
    { m.data() } -> std::convertible_to<std::string_view>;
};

template <class T>
concept TransportCanFetch = requires(T& t, std::vector<typename T::message_type>& batch, std::size_t max,
                                     std::chrono::milliseconds wait) {
    t.fetch(batch, max, wait); // appends at most max messages, waits at most wait
};

template <class T>
concept TransportCanSettle = requires(T& t, std::span<typename T::message_type> msgs, std::chrono::milliseconds delay) {
    t.ack(msgs);        // stored: never deliver again
    t.nak(msgs, delay); // not stored: deliver again after delay
    t.term(msgs);       // malformed: never deliver again, never stored
};

template <class T>
concept Transport = std::move_constructible<T> && TransportHasMessage<T> && TransportMessage<typename T::message_type> && TransportCanFetch<T> &&
                    TransportCanSettle<T>;

// --- Store: where events are kept, found by id and by user ----------------------------------

template <class S, class C>
concept StoreCanPut = requires(S& s, std::span<const Event> batch, const C& codec) {
    { s.put(batch, codec) } -> std::same_as<PutStats>;
};
template <class S, class C>
concept StoreCanGet = requires(const S& s, std::span<const std::string> ids, const C& codec) {
    { s.get(ids, codec) } -> std::same_as<std::vector<Event>>;
};
template <class S, class C>
concept StoreCanFindByUser = requires(const S& s, std::string_view user, const C& codec) {
    { s.find_by_user(user, codec) } -> std::same_as<std::vector<Event>>;
};

/// A store usable with codec C. Queries are const and may run on other threads than put():
/// a store is thread-safe. EventHistory takes its store by value, so a store is movable (keep
/// a mutex or a connection behind a pointer). Stores that keep events in memory may ignore
/// the codec.
template <class S, class C>
concept Store = Codec<C> && std::move_constructible<S> && StoreCanPut<S, C> && StoreCanGet<S, C> &&
                StoreCanFindByUser<S, C>;

/// A store with a name (for logs, metrics and `--store-type`).
template <class S>
concept NamedStore = requires {
    { S::name } -> std::convertible_to<std::string_view>;
};
/// A store with settings of its own (say memory.max_events) declares them as a section,
/// `using Settings = X`: X is a Hana-reflected struct with `static constexpr std::string_view
/// section` (the YAML section, the flags' and the docs' prefix), `about` (one line) and `meta`
/// (one eh::config::Meta per member, in member order; eh/config/settings.hpp shows the form).
/// The daemon's configuration then reads, checks and documents them with the others.
template <class S>
concept HasOwnSettings = requires { typename S::Settings; };
template <class X>
concept SettingsSection = boost::hana::Struct<X>::value && requires {
    { X::section } -> std::convertible_to<std::string_view>;
    { X::about } -> std::convertible_to<std::string_view>;
    { *X::meta.begin() } -> std::convertible_to<const config::Meta&>;
};
template <class S>
concept OwnSettingsAreASection = HasOwnSettings<S> && SettingsSection<typename S::Settings>;
/// make() takes the store settings, and the store's own section when it has one.
template <class S>
concept StoreFromSettings = (!HasOwnSettings<S> && requires(const store::StoreSettings& settings) {
    { S::make(settings) } -> std::same_as<S>;
}) || (HasOwnSettings<S> && requires(const store::StoreSettings& settings, const typename S::Settings& own) {
    { S::make(settings, own) } -> std::same_as<S>;
});
template <class S>
concept StoreSaysIfShared = requires {
    { S::shared } -> std::convertible_to<bool>;
};
/// A store that answers from the process's memory (memory, noop) says so with `static constexpr
/// bool in_memory = true`: its writes cannot fail for a while and its queries never wait on I/O.
/// The daemon then acks nothing of its own consumer (the stream is the durable copy; a write that
/// could fail must be NAKed and come again, which needs acks) and answers on gRPC's threads.
template <class S>
constexpr bool in_memory() {
    if constexpr (requires { { S::in_memory } -> std::convertible_to<bool>; })
        return S::in_memory;
    else
        return false;
}

/// A store a daemon can offer in its store list (eh::store::StoreList), picked by name at run
/// time: its name, how it is made from the store settings (and its own, if any), and whether
/// instances of the service share what it holds (then they split the events through one
/// durable consumer; else each instance consumes every event). It may also refuse settings it
/// cannot work with before anything starts: `static void check(const StoreSettings&[, const
/// Settings&])` throwing eh::config::BadSetting. Everything about a store is said by the store.
template <class S>
concept DaemonStore = NamedStore<S> && (!HasOwnSettings<S> || OwnSettingsAreASection<S>) && StoreFromSettings<S> &&
                      StoreSaysIfShared<S>;

// Optional capabilities, used when present.
template <class X>
concept HasReady = requires(const X& x) {
    { x.ready() } -> std::convertible_to<bool>;
};
template <class S>
concept HasSize = requires(const S& s) {
    { s.size() } -> std::convertible_to<std::size_t>;
};
template <class S>
concept HasMaintain = requires(S& s) { s.maintain(); };

namespace detail {

template <class...>
inline constexpr bool always_false = false;

// Each check stops at the first unmet requirement, so the compiler prints one line.
// The checks return true whatever happens: a failing one has already said why, once.
template <class T>
consteval bool check_transport() {
    if constexpr (!std::move_constructible<T>)
        static_assert(always_false<T>, "eh: Transport policy must be move-constructible (EventHistory holds it by "
                                       "value): keep a mutex or a connection behind a std::unique_ptr");
    else if constexpr (!TransportHasMessage<T>)
        static_assert(always_false<T>, "eh: Transport policy lacks a nested `message_type`");
    else if constexpr (!TransportMessage<typename T::message_type>)
        static_assert(always_false<T>, "eh: Transport::message_type must be movable and have `data()` -> string_view");
    else if constexpr (!TransportCanFetch<T>)
        static_assert(always_false<T>, "eh: Transport policy lacks `fetch(std::vector<message_type>&, std::size_t max, "
                                       "std::chrono::milliseconds wait)`");
    else if constexpr (!TransportCanSettle<T>)
        static_assert(always_false<T>, "eh: Transport policy lacks `ack(span<message_type>)`, `nak(span<message_type>, "
                                       "milliseconds)` or `term(span<message_type>)`");
    return true;
}

template <class C>
consteval bool check_codec() {
    if constexpr (!std::semiregular<C>)
        static_assert(always_false<C>, "eh: Codec policy must be default-constructible and copyable");
    else if constexpr (!CodecCanEncode<C>)
        static_assert(always_false<C>, "eh: Codec policy lacks `void encode(const eh::Event&, std::string& out) const`");
    else if constexpr (!CodecCanDecode<C>)
        static_assert(always_false<C>,
                      "eh: Codec policy lacks `eh::DecodeError decode(std::string_view, eh::Event& out) const`");
    return true;
}

template <class S, class C>
consteval bool check_store() {
    if constexpr (!std::move_constructible<S>)
        static_assert(always_false<S>, "eh: Store policy must be move-constructible (EventHistory holds it by value): "
                                       "keep a mutex or a connection behind a std::unique_ptr");
    else if constexpr (!StoreCanPut<S, C>)
        static_assert(always_false<S>, "eh: Store policy lacks `eh::PutStats put(std::span<const eh::Event>, const Codec&)`");
    else if constexpr (!StoreCanGet<S, C>)
        static_assert(always_false<S>, "eh: Store policy lacks `std::vector<eh::Event> get(std::span<const std::string> "
                                       "ids, const Codec&) const`");
    else if constexpr (!StoreCanFindByUser<S, C>)
        static_assert(always_false<S>, "eh: Store policy lacks `std::vector<eh::Event> find_by_user(std::string_view, "
                                       "const Codec&) const`");
    return true;
}

template <class S>
consteval bool check_daemon_store() {
    if constexpr (!NamedStore<S>)
        static_assert(always_false<S>, "eh: a store in a StoreList lacks `static constexpr std::string_view name`");
    else if constexpr (HasOwnSettings<S> && !OwnSettingsAreASection<S>)
        static_assert(always_false<S>, "eh: a store's `Settings` must be a Hana-reflected struct with `static constexpr "
                                       "std::string_view section`, `about` and `meta` (eh::config::Meta rows; see "
                                       "eh::SettingsSection)");
    else if constexpr (!StoreFromSettings<S> && HasOwnSettings<S>)
        static_assert(always_false<S>, "eh: a store in a StoreList lacks `static S make(const eh::store::StoreSettings&, "
                                       "const Settings&)` (it declares `Settings`)");
    else if constexpr (!StoreFromSettings<S>)
        static_assert(always_false<S>, "eh: a store in a StoreList lacks `static S make(const eh::store::StoreSettings&)`");
    else if constexpr (!StoreSaysIfShared<S>)
        static_assert(always_false<S>, "eh: a store in a StoreList lacks `static constexpr bool shared` (do instances of "
                                       "the service share what it holds?)");
    return true;
}

/// T::message_type, or a placeholder while the check above reports that it is missing.
struct missing_message_type {
    std::string_view data() const { return {}; }
};
template <class T>
struct message_of {
    using type = missing_message_type;
};
template <TransportHasMessage T>
struct message_of<T> {
    using type = typename T::message_type;
};

} // namespace detail
} // namespace eh
