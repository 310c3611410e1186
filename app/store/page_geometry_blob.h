#pragma once
// A page's size and word boxes as the session store keeps them: little-endian, versioned.
//   page_size:  f32 width, f32 height
//   word_boxes: u8 version (1), u32 count, then per word f32 left, top, right, bottom,
//               i32 begin, end

#include "core/page_geometry.h"

#include <optional>
#include <vector>

namespace glimpse::store {

std::vector<uint8_t> encode_page_size(const PageGeometry& page);
std::vector<uint8_t> encode_word_boxes(const PageGeometry& page);
// The page as stored, or nothing when a blob is damaged (wrong length or version).
std::optional<PageGeometry> decode_page_geometry(const std::vector<uint8_t>& page_size,
                                                 const std::vector<uint8_t>& word_boxes);

}  // namespace glimpse::store
