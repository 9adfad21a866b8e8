#pragma once
// Walks the settings definition (eh/config/settings.hpp, and the sections stores add): every
// source, --help and the docs go through for_each_setting, so none of them names a setting
// itself.
#include <cstddef>
#include <string>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/size.hpp>
#include <boost/hana/string.hpp>

#include "eh/config/meta.hpp"
#include "eh/config/settings.hpp"

namespace eh::config {

/// One setting as the sources see it.
struct Field {
    std::string_view section;       ///< e.g. "store"
    std::string_view section_about; ///< the section's one-line description
    const Meta& meta;
    std::string key;  ///< "store.ttl": the YAML path, and how messages name the setting
    std::string flag; ///< "--store-ttl"
};

namespace detail {

template <class Section, std::size_t... I>
constexpr bool meta_matches_members(std::index_sequence<I...>) {
    constexpr auto members = boost::hana::accessors<Section>();
    return Section::meta.size() == sizeof...(I) &&
           ((std::string_view(boost::hana::to<const char*>(boost::hana::first(boost::hana::at_c<I>(members)))) ==
             Section::meta[I].name) &&
            ...);
}

template <class Section>
constexpr bool meta_matches_members() {
    constexpr std::size_t n = decltype(boost::hana::size(boost::hana::accessors<Section>()))::value;
    return meta_matches_members<Section>(std::make_index_sequence<n>{});
}

inline std::string flag_of(std::string_view section, std::string_view name) {
    std::string flag = "--" + std::string(section) + "-" + std::string(name);
    for (char& c : flag)
        if (c == '_') c = '-';
    return flag;
}

template <class Section>
void add_fields(std::vector<Field>& out, std::string_view name) {
    static_assert(meta_matches_members<Section>(),
                  "eh::config: a settings section needs one Meta row per member, in member order");
    for (const Field& f : out)
        if (f.section == name) throw std::logic_error("eh::config: two settings sections named " + std::string(name));
    for (const Meta& meta : Section::meta)
        out.push_back({name, Section::about, meta, std::string(name) + "." + std::string(meta.name), flag_of(name, meta.name)});
}

template <class T>
struct is_settings_with : std::false_type {};
template <class... Sections>
struct is_settings_with<SettingsWith<Sections...>> : std::true_type {};

/// Every setting's Field, in definition order: the core sections, then the added ones. Built
/// once, so that the walk below stays a plain call per member (it is instantiated for every
/// source).
template <class S>
const std::vector<Field>& fields() {
    namespace hana = boost::hana;
    static const std::vector<Field> all = [] {
        std::vector<Field> out;
        hana::for_each(hana::accessors<Settings>(), [&](auto section) {
            using Section = std::remove_cvref_t<decltype(hana::second(section)(std::declval<Settings&>()))>;
            add_fields<Section>(out, hana::to<const char*>(hana::first(section)));
        });
        [&]<class... Added>(std::type_identity<std::tuple<Added...>>) {
            (add_fields<Added>(out, Added::section), ...);
        }(std::type_identity<decltype(S::sections)>{});
        return out;
    }();
    return all;
}

} // namespace detail

/// A daemon's whole settings: the core sections and those its stores add (SettingsWith).
template <class S>
concept AllSettings = detail::is_settings_with<std::remove_const_t<S>>::value;

/// Calls f(const Field&, value) for every setting, in definition order; value is the member
/// of `settings` (const when settings is).
template <class S, class F>
    requires AllSettings<S>
void for_each_setting(S& settings, F&& f) {
    namespace hana = boost::hana;
    const std::vector<Field>& fields = detail::fields<std::remove_const_t<S>>();
    std::size_t i = 0;
    auto walk = [&](auto& values) {
        hana::for_each(hana::accessors<std::remove_cvref_t<decltype(values)>>(),
                       [&](auto member) { f(fields[i++], hana::second(member)(values)); });
    };
    hana::for_each(hana::accessors<Settings>(), [&](auto section) { walk(hana::second(section)(settings)); });
    std::apply([&](auto&... added) { (walk(added), ...); }, settings.sections);
}

/// Calls f(const Field&) for every setting of S, for those that need neither values nor types.
template <AllSettings S, class F>
void for_each_field(F&& f) {
    for (const Field& field : detail::fields<S>()) f(field);
}

} // namespace eh::config
