#include "engine/session/generate_text.h"

#include "engine/tokenizer/stream_decoder.h"

namespace engine {

GenerationStats generate_text(Session& session, const Tokenizer& tokenizer, const SamplingParams& params,
                              const PieceCallback& on_piece, const std::atomic<bool>* cancel) {
    TokenStreamDecoder decoder(tokenizer);
    GenerationStats stats = session.generate(params, [&](int32_t id) { return decoder.push(id); }, on_piece, cancel);
    // An unfinished character at the very end comes out as U+FFFD, unless a stop string cut it.
    if (stats.stop_reason != StopReason::StopString) {
        const std::string tail = decoder.flush();
        if (!tail.empty() && on_piece) on_piece(tail);
    }
    return stats;
}

}  // namespace engine
