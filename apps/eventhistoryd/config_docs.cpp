// eh-config-docs [FILE]: writes docs/configuration.md (to FILE, else to stdout): eventhistoryd's
// settings, the core ones (include/eh/config/settings.hpp) and its stores' own (stores.hpp).
// eh-config-docs --check FILE: exit 1 unless FILE is what it would write (a ctest).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "eh/config/docs.hpp"
#include "stores.hpp"

int main(int argc, char** argv) {
    const std::string generated = eh::config::markdown<eventhistoryd::Settings>();
    if (argc == 3 && std::string_view(argv[1]) == "--check") {
        std::ifstream in(argv[2], std::ios::binary);
        const std::string committed{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (committed == generated) return 0;
        std::cerr << argv[2] << " differs from the settings definition; regenerate it with: eh-config-docs " << argv[2]
                  << "\n";
        return 1;
    }
    if (argc > 2 || (argc == 2 && std::string_view(argv[1]).starts_with("-"))) {
        std::cerr << "usage: eh-config-docs [FILE] | eh-config-docs --check FILE\n";
        return 2;
    }
    if (argc == 1) {
        std::cout << generated;
        return 0;
    }
    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    if (!(out << generated) || !out.flush()) {
        std::perror(argv[1]);
        return 1;
    }
    return 0;
}
