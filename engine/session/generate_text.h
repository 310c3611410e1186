#pragma once
// Generation streamed as text through the model's tokenizer: pieces are complete UTF-8,
// and the tokenizer's end-of-generation tokens (EOS, EOT, <|im_end|>, ...) end the turn.

#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>

namespace engine {

GenerationStats generate_text(Session& session, const Tokenizer& tokenizer, SamplingParams params,
                              const PieceCallback& on_piece, const std::atomic<bool>* cancel = nullptr);

}  // namespace engine
