#pragma once
// Generation streamed as text through the model's tokenizer: pieces are complete UTF-8;
// the turn ends where Model::ends_turn says.

#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <atomic>

namespace engine {

GenerationStats generate_text(Session& session, const Tokenizer& tokenizer, const SamplingParams& params,
                              const PieceCallback& on_piece, const std::atomic<bool>* cancel = nullptr);

}  // namespace engine
