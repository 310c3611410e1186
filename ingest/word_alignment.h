#pragma once
// Finds the words Poppler drew on a page in the page's clean text, so a stretch of that
// text can be shown where it is printed. The clean text differs from the drawn words: lines
// are reordered by column, running headers are gone, hyphenated words are joined,
// ligatures and odd spaces normalised. Words are looked for in drawing order from where the
// last one was found; a word found far from there is taken only when the words after it
// follow it in the text too, so a word that was left out (a header, a page number) gets no
// box rather than a wrong one.

#include "ingest/document.h"
#include "ingest/page_layout.h"

#include <vector>

namespace ingest {

std::vector<WordBox> align_words(const QString& page_text, const std::vector<PositionedWord>& words);

}  // namespace ingest
