#pragma once
// Hand-assembles GGUF byte images, so tests can build files that are wrong in exactly
// one field.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

struct GgufBytes {
    std::vector<uint8_t> bytes;

    template <typename T>
    GgufBytes& put(T v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(T));
        return *this;
    }
    GgufBytes& str(const std::string& s) {
        put<uint64_t>(s.size());
        bytes.insert(bytes.end(), s.begin(), s.end());
        return *this;
    }
    GgufBytes& header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
        return put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(tensors).put<uint64_t>(kvs);
    }
    GgufBytes& pad(size_t alignment = 32) {
        while (bytes.size() % alignment) bytes.push_back(0);
        return *this;
    }
    GgufBytes& zeros(size_t n) {
        bytes.insert(bytes.end(), n, 0);
        return *this;
    }
};
