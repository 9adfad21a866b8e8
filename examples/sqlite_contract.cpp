// The SQLite store of sqlite_store.hpp against the whole store contract, as a library user
// tests their own store: a file of its own per clause, the TTL clauses on a manual clock.
// Exit status 0 when every clause holds; the report otherwise.
#include <eh/codec/ocis_store_event.hpp>
#include <eh/testing/manual_clock.hpp>
#include <eh/testing/store_contract.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "sqlite_store.hpp"

// It could join a custom eventhistoryd's store list (eh::store::StoreList) as it is.
static_assert(eh::DaemonStore<example::SqliteStore<>>);

int main() {
    using Store = example::SqliteStore<eh::testing::ManualClock>;
    std::string pattern = (std::filesystem::temp_directory_path() / "eh-sqlite-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
        std::cerr << "cannot create a temporary directory\n";
        return 2;
    }
    const std::filesystem::path dir = pattern;
    int file = 0;
    const auto report = eh::testing::check_store_contract<Store>([&](eh::testing::ManualClock& clock) {
        return Store({.path = (dir / ("clause" + std::to_string(++file) + ".db")).string()}, clock);
    });
    std::filesystem::remove_all(dir);
    std::cout << "sqlite store: " << report.text() << "\n";
    return report.ok() ? 0 : 1;
}
