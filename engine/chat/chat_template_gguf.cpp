// ChatTemplate::from_gguf: the template and the BOS/EOS texts a GGUF model file carries.

#include "engine/chat/chat_template.h"

#include "engine/chat/chat_template_recognition.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"

namespace engine {
namespace {

std::string token_text(const GgufFile& file, std::string_view id_key) {
    auto id = file.get_int_opt(id_key);
    if (!id) return "";
    const GgufArray& tokens = file.get_array("tokenizer.ggml.tokens", GgufValueType::String);
    if (*id < 0 || static_cast<uint64_t>(*id) >= tokens.elements.size())
        throw Error(file.name() + ": " + std::string(id_key) + " = " + std::to_string(*id) +
                    " is outside the vocabulary (" + std::to_string(tokens.elements.size()) + " tokens)");
    return tokens.elements[static_cast<size_t>(*id)].as_string();
}

}  // namespace

ChatTemplate ChatTemplate::from_gguf(const GgufFile& file, const std::optional<std::string>& override_name) {
    const std::string bos = token_text(file, "tokenizer.ggml.bos_token_id");
    const std::string eos = token_text(file, "tokenizer.ggml.eos_token_id");
    if (override_name) return from_family_name(*override_name, bos, eos);
    auto text = file.get_string_opt("tokenizer.chat_template");
    if (!text)
        throw Error(file.name() + ": the model has no chat template (tokenizer.chat_template). " +
                    chat_detail::chat_template_override_hint());
    try {
        return from_template_text(*text, bos, eos);
    } catch (const Error& e) {
        throw Error(file.name() + ": " + e.what());
    }
}

}  // namespace engine
