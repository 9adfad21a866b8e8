// eh::config: the one settings definition, with the memory store's own, read from flags
// (CLI11) and the environment.
#include <eh/config/load.hpp>
#include <eh/store/memory.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app("eh::config consumer");
    using Stores = eh::store::StoreList<eh::store::MemoryStore>;
    eh::config::Flags<eh::config::SettingsFor<Stores>> flags(app);
    CLI11_PARSE(app, argc, argv);
    const auto settings = eh::config::load<Stores>(flags);
    std::cout << "eh::config: settings of " << sizeof(settings) << " bytes loaded\n";
    return 0;
}
