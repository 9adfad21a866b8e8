#pragma once
// Reading a whole file with the system's reason when it cannot be read (the YAML file, and the
// TLS files checked up front so that a typo fails at start with the file's name).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

namespace eh::config::detail {

/// The file's bytes, or nullopt with the reason (e.g. "No such file or directory") in `why`.
inline std::optional<std::string> read_file(const std::string& path, std::string& why) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    std::string out;
    if (f) {
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.append(buf, n);
        if (!std::ferror(f.get())) return out;
    }
    why = std::strerror(errno);
    return std::nullopt;
}

} // namespace eh::config::detail
