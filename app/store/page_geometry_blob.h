#pragma once
// A page's geometry as the two blobs of its document_pages row, little-endian:
//   page_size:  f32 width, f32 height (points)
//   word_boxes: u32 format version (1), u32 n, then n x {f32 left, top, right, bottom;
//               i32 begin, end} (24 bytes a word)
// A page without geometry (a text file's) stores neither.

#include "core/page_geometry.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace glimpse::store {

inline constexpr uint32_t kWordBoxesFormat = 1;

std::vector<uint8_t> encode_page_size(const PageGeometry& page);
std::vector<uint8_t> encode_word_boxes(const PageGeometry& page);

// Throws engine::Error (BadFile) naming `what` when the bytes are damaged: a short or long
// blob, another format version, a size or box that is not a finite rectangle, or a byte range
// outside the page text of `text_bytes` bytes.
PageGeometry decode_page_geometry(std::span<const uint8_t> page_size, std::span<const uint8_t> word_boxes,
                                  size_t text_bytes, const std::string& what);

}  // namespace glimpse::store
