// eh::config: the one settings definition, read from flags (CLI11) and the environment.
#include <eh/config/load.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string_view>

int main(int argc, char** argv) {
    CLI::App app("eh::config consumer");
    eh::config::Flags flags(app);
    CLI11_PARSE(app, argc, argv);
    constexpr std::string_view stores[] = {"memory"};
    const auto settings = eh::config::load(flags, stores);
    std::cout << "eh::config: settings of " << sizeof(settings) << " bytes loaded\n";
    return 0;
}
