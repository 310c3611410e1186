#pragma once
// Bounds-checked little-endian reads over a byte range. Every read says what it was
// reading, so a short or damaged file is reported by field name and offset.

#include "engine/error.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace engine {

class ByteCursor {
public:
    ByteCursor(const uint8_t* data, uint64_t size, std::string file_name)
        : data_(data), size_(size), file_(std::move(file_name)) {}

    uint64_t position() const { return pos_; }
    uint64_t remaining() const { return size_ - pos_; }

    template <typename T>
    T read(std::string_view what) {
        static_assert(std::is_trivially_copyable_v<T>);
        require(sizeof(T), what);
        T v;
        std::memcpy(&v, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    std::string read_string(std::string_view what) {
        uint64_t length = read<uint64_t>(what);
        if (length > remaining())
            fail(what, "string length " + std::to_string(length) + " runs past the end of the file (" +
                           std::to_string(remaining()) + " bytes left)");
        std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(length));
        pos_ += length;
        return s;
    }

    void require(uint64_t n, std::string_view what) const {
        if (n > remaining())
            fail(what, "needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                           " but the file ends after " + std::to_string(remaining()) +
                           " more (truncated file?)");
    }

    [[noreturn]] void fail(std::string_view what, const std::string& problem) const {
        throw Error(ErrorKind::BadFile, file_ + ": " + std::string(what) + ": " + problem);
    }

private:
    const uint8_t* data_;
    uint64_t size_;
    uint64_t pos_ = 0;
    std::string file_;
};

}  // namespace engine
