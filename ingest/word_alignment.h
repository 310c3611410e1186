#pragma once
// Finds the words a page was read from (Poppler's or Tesseract's, with their boxes) in the
// page's final text, which layout, running-header removal, paragraph joining and cleaning
// have changed, so that a byte range of the text can be drawn as boxes on the page.
//
// Each word is normalised as the cleaner normalises text (NFKC: ligatures, odd spaces) and
// looked for where the previous word ended. The halves of a word broken at a line end
// ("exam-" + "ple" read as "example", "well-" + "known") both map to the joined word. A word
// not at the expected place is looked for after it, then from the page start (columns read
// in another order), and taken only when it occurs once or the next word follows it there:
// a common word found in the wrong place would highlight the wrong line. A word that is not
// found (its line was a running header, its text moved to the previous page) gets no box.

#include "ingest/document.h"
#include "ingest/page_layout.h"

#include <QString>

#include <vector>

namespace ingest {

// `words` in the reading order of `text`; the boxes are copied as given. Ranges are UTF-8
// byte offsets in text.toUtf8().
std::vector<WordBox> align_words(const QString& text, const std::vector<PositionedWord>& words);

// A word as the cleaner leaves it inside page text.
QString normalised_word(const QString& word);

}  // namespace ingest
