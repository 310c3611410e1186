#include "store/page_geometry_blob.h"

#include "engine/error.h"
#include "engine/gguf/byte_cursor.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace glimpse::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the blobs are written as the machine stores numbers");

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
    const size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

constexpr size_t kWordBytes = 6 * 4;

}  // namespace

std::vector<uint8_t> encode_page_size(const PageGeometry& page) {
    std::vector<uint8_t> out;
    out.reserve(8);
    put(out, page.width);
    put(out, page.height);
    return out;
}

std::vector<uint8_t> encode_word_boxes(const PageGeometry& page) {
    std::vector<uint8_t> out;
    out.reserve(8 + page.words.size() * kWordBytes);
    put(out, kWordBoxesFormat);
    put(out, static_cast<uint32_t>(page.words.size()));
    for (const auto& w : page.words) {
        put(out, w.left);
        put(out, w.top);
        put(out, w.right);
        put(out, w.bottom);
        put(out, w.begin);
        put(out, w.end);
    }
    return out;
}

PageGeometry decode_page_geometry(std::span<const uint8_t> page_size, std::span<const uint8_t> word_boxes,
                                  size_t text_bytes, const std::string& what) {
    PageGeometry page;
    engine::ByteCursor size(page_size.data(), page_size.size(), what + " page size");
    page.width = size.read<float>("width");
    page.height = size.read<float>("height");
    if (size.remaining() != 0) size.fail("size", std::to_string(page_size.size()) + " bytes, not 8");
    if (!(std::isfinite(page.width) && std::isfinite(page.height) && page.width > 0 && page.height > 0))
        size.fail("size", "not a page size (" + std::to_string(page.width) + " x " + std::to_string(page.height) + ")");

    engine::ByteCursor in(word_boxes.data(), word_boxes.size(), what + " word boxes");
    if (const auto format = in.read<uint32_t>("format"); format != kWordBoxesFormat)
        in.fail("format", "version " + std::to_string(format) + ", this build reads " + std::to_string(kWordBoxesFormat));
    const auto n = in.read<uint32_t>("count");
    if (in.remaining() != uint64_t{n} * kWordBytes)
        in.fail("count", std::to_string(n) + " words need " + std::to_string(uint64_t{n} * kWordBytes) + " bytes, " +
                             std::to_string(in.remaining()) + " follow");
    page.words.resize(n);
    for (auto& w : page.words) {
        w.left = in.read<float>("left");
        w.top = in.read<float>("top");
        w.right = in.read<float>("right");
        w.bottom = in.read<float>("bottom");
        w.begin = in.read<int32_t>("begin");
        w.end = in.read<int32_t>("end");
        if (!(std::isfinite(w.left) && std::isfinite(w.top) && std::isfinite(w.right) && std::isfinite(w.bottom)
              && w.left <= w.right && w.top <= w.bottom))
            in.fail("box", "not a rectangle");
        if (w.begin < 0 || w.begin > w.end || static_cast<size_t>(w.end) > text_bytes)
            in.fail("range", "[" + std::to_string(w.begin) + ", " + std::to_string(w.end) + ") is not in the " +
                                 std::to_string(text_bytes) + " bytes of the page text");
    }
    return page;
}

}  // namespace glimpse::store
