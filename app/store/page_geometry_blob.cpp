#include "store/page_geometry_blob.h"

#include <cstring>

namespace glimpse::store {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kWordBytes = 6 * 4;

template <class T>
void put(std::vector<uint8_t>& out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));   // the hosts Glimpse runs on are little-endian
    out.insert(out.end(), b, b + sizeof(T));
}

template <class T>
T get(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

}  // namespace

std::vector<uint8_t> encode_page_size(const PageGeometry& page) {
    std::vector<uint8_t> out;
    put(out, page.width);
    put(out, page.height);
    return out;
}

std::vector<uint8_t> encode_word_boxes(const PageGeometry& page) {
    std::vector<uint8_t> out;
    out.reserve(5 + page.words.size() * kWordBytes);
    out.push_back(kVersion);
    put(out, uint32_t(page.words.size()));
    for (const auto& w : page.words) {
        put(out, w.left), put(out, w.top), put(out, w.right), put(out, w.bottom);
        put(out, w.begin), put(out, w.end);
    }
    return out;
}

std::optional<PageGeometry> decode_page_geometry(const std::vector<uint8_t>& page_size,
                                                 const std::vector<uint8_t>& word_boxes) {
    if (page_size.size() != 8 || word_boxes.size() < 5 || word_boxes[0] != kVersion) return std::nullopt;
    const uint32_t count = get<uint32_t>(word_boxes.data() + 1);
    if (word_boxes.size() != 5 + size_t(count) * kWordBytes) return std::nullopt;
    PageGeometry page{get<float>(page_size.data()), get<float>(page_size.data() + 4), {}};
    page.words.resize(count);
    const uint8_t* p = word_boxes.data() + 5;
    for (auto& w : page.words) {
        w = {get<float>(p), get<float>(p + 4), get<float>(p + 8), get<float>(p + 12), get<int32_t>(p + 16),
             get<int32_t>(p + 20)};
        p += kWordBytes;
    }
    return page;
}

}  // namespace glimpse::store
