// eh-config-docs [FILE]: writes docs/configuration.md (to FILE, else to stdout) from the
// settings definition in include/eh/config/settings.hpp.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "eh/config/docs.hpp"

int main(int argc, char** argv) {
    if (argc > 2) {
        std::cerr << "usage: eh-config-docs [FILE]\n";
        return 2;
    }
    if (argc == 1) {
        std::cout << eh::config::markdown();
        return 0;
    }
    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    if (!(out << eh::config::markdown()) || !out.flush()) {
        std::perror(argv[1]);
        return 1;
    }
    return 0;
}
