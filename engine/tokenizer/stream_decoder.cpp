#include "engine/tokenizer/stream_decoder.h"

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace engine {

std::string TokenStreamDecoder::push(int32_t id) {
    pending_ += tokenizer_->decode_piece(id, at_boundary_);
    std::string out;
    size_t pos = 0;
    while (pos < pending_.size()) {
        const Utf8Step step = utf8_step(pending_, pos);
        if (step.status == Utf8Status::Incomplete) break;  // wait for the rest
        if (step.status == Utf8Status::Valid)
            out.append(pending_, pos, step.length);
        else
            out += kReplacementCharacter;
        pos += step.length;
    }
    pending_.erase(0, pos);
    return out;
}

std::string TokenStreamDecoder::flush() {
    std::string out = pending_.empty() ? std::string() : std::string(kReplacementCharacter);
    pending_.clear();
    at_boundary_ = true;
    return out;
}

}  // namespace engine
