#pragma once
// One Redis command as its arguments, built into a single reusable buffer: a batch of events
// becomes one EVAL without a string per argument, and the codec encodes straight into it.
#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eh::store::detail::redis {

class Command {
public:
    Command() = default;
    template <class... Parts>
    explicit Command(const Parts&... parts) {
        (add(parts), ...);
    }

    Command& add(std::string_view part) {
        bytes_.append(part);
        ends_.push_back(bytes_.size());
        return *this;
    }
    Command& add(std::integral auto n) {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
        return add(std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    /// An argument written by write(std::string&), which appends to the buffer it is given.
    template <class Write>
    Command& add_written(Write&& write) {
        write(bytes_);
        ends_.push_back(bytes_.size());
        return *this;
    }

    void clear() noexcept {
        bytes_.clear();
        ends_.clear();
    }
    std::size_t size() const noexcept { return ends_.size(); }
    std::string_view operator[](std::size_t i) const noexcept {
        const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
        return std::string_view(bytes_).substr(begin, ends_[i] - begin);
    }

private:
    std::string bytes_;
    std::vector<std::size_t> ends_;
};

} // namespace eh::store::detail::redis
