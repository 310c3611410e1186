#include "core/conversation.h"

#include "engine/error.h"
#include "engine/session/generate_text.h"

#include <chrono>

namespace glimpse {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Conversation::Conversation(const LoadedModel& model, ConversationOptions options, std::vector<PromptDocument> documents)
    : model_(model), options_(std::move(options)), documents_(std::move(documents)) {
    if (!options_.make_policy) options_.make_policy = [this] { return model_.make_policy(); };
}

void Conversation::restore(ConversationState state, engine::CompressedCache cache) {
    if (static_cast<int64_t>(state.sources.size()) != cache.next_position())
        throw engine::Error(engine::ErrorKind::BadFile,
                            "the saved conversation maps " + std::to_string(state.sources.size()) +
                                " tokens to pages, but its KV cache holds " + std::to_string(cache.next_position()));
    auto session = std::make_unique<engine::Session>(model_.model, model_.backend, std::move(cache), session_options());
    session_ = std::move(session);
    answer_start_.reset();
    messages_ = std::move(state.messages);
    cache_text_ = std::move(state.cache_text);
    sources_ = std::move(state.sources);
}

engine::SessionOptions Conversation::session_options() const {
    engine::SessionOptions options;
    options.policy = options_.make_policy();
    options.answer_room = options_.sampling.max_new_tokens;
    options.window = options_.window;
    options.kv_type = options_.kv_type;
    return options;
}

void Conversation::check_fits(int64_t tokens) const {
    if (tokens + options_.sampling.max_new_tokens > model_.context_length())
        throw engine::Error("the conversation is " + std::to_string(tokens) +
                            " tokens long and the model's context window holds " +
                            std::to_string(model_.context_length()) + "; start a new conversation");
}

engine::PrefillStats Conversation::read(const std::string& text, const std::vector<int32_t>& tokens,
                                        const std::vector<int32_t>& question, const TurnCallbacks& callbacks,
                                        const std::atomic<bool>* cancel) {
    // Past the context window the session reads in windows (each with the question after it,
    // when known), or says why it cannot.
    engine::SessionOptions options = session_options();
    options.window_probe = question;
    auto session = std::make_unique<engine::Session>(model_.model, model_.backend, std::move(options));
    engine::PrefillStats stats = session->prefill(tokens, callbacks.on_progress, cancel);
    if (!stats) throw engine::Error(engine::ErrorKind::Cancelled, "cancelled while reading the documents");
    session_ = std::move(session);
    cache_text_ = text;
    return stats;
}

TurnReport Conversation::ask(const std::string& question, const TurnCallbacks& callbacks,
                             const std::atomic<bool>* cancel) {
    TurnReport report;
    const auto start = Clock::now();
    const std::vector<engine::ChatMessage> before = messages_;
    try {
        if (!session_) {
            auto prompt = build_document_prompt(model_.tokenizer, model_.chat, documents_, question,
                                                options_.system_prompt);
            messages_.clear();
            if (!options_.system_prompt.empty()) messages_.push_back({"system", options_.system_prompt});
            messages_.push_back({"user", document_message(documents_, question)});
            report.prefill = read(prompt.text, prompt.tokens, prompt.question, callbacks, cancel);
            report.read_documents = true;
            report.read_tokens = static_cast<int64_t>(prompt.tokens.size());
            sources_ = std::move(prompt.sources);
        } else {
            messages_.push_back({"user", question});
            const std::string rendered = model_.chat.render(messages_, true);
            if (rendered.compare(0, cache_text_.size(), cache_text_) == 0) {
                // The common case: the cache already holds the conversation so far.
                auto tokens = model_.tokenizer.encode(std::string_view(rendered).substr(cache_text_.size()), false, true);
                check_fits(session_->cache().next_rotary_position() + static_cast<int64_t>(tokens.size()));
                if (!session_->append(tokens, cancel))
                    throw engine::Error(engine::ErrorKind::Cancelled, "cancelled while reading the question");
                cache_text_ = rendered;
                report.read_tokens = static_cast<int64_t>(tokens.size());
            } else {
                // The template rewrites earlier turns (some trim or move the system prompt):
                // read the whole conversation again. The documents keep their place in it.
                auto tokens = tokenize_rendered(model_.tokenizer, model_.chat, rendered);
                report.prefill = read(rendered, tokens, {}, callbacks, cancel);
                report.read_documents = true;
                report.read_tokens = static_cast<int64_t>(tokens.size());
            }
        }
    } catch (...) {
        messages_ = before;   // a failed turn leaves the conversation as it was
        throw;
    }
    report.read_seconds = seconds_since(start);
    const auto logits = session_->logits();
    answer_start_ = AnswerStart{session_->cache().mark(), {logits.begin(), logits.end()}, cache_text_, sources_};
    answer(report, options_.sampling, callbacks, cancel);
    return report;
}

TurnReport Conversation::regenerate(const TurnCallbacks& callbacks, const std::atomic<bool>* cancel) {
    if (!answer_start_ || !session_ || messages_.empty() || messages_.back().role != "assistant")
        throw engine::Error("there is no answer to regenerate since the conversation was read or restored");
    engine::CompressedCache cache = session_->cache();
    cache.rollback(answer_start_->mark);
    session_ = std::make_unique<engine::Session>(model_.model, model_.backend, std::move(cache),
                                                 session_options(),
                                                 answer_start_->logits);
    messages_.pop_back();
    cache_text_ = answer_start_->cache_text;
    sources_ = answer_start_->sources;
    engine::SamplingParams sampling = options_.sampling;
    if (sampling.temperature <= 0.0f) sampling.temperature = kRegenerateTemperature;
    sampling.seed += ++regenerations_;
    TurnReport report;
    answer(report, sampling, callbacks, cancel);
    return report;
}

void Conversation::answer(TurnReport& report, const engine::SamplingParams& sampling, const TurnCallbacks& callbacks,
                          const std::atomic<bool>* cancel) {
    session_->track_cached_attention(true);   // which cached tokens the answer draws on
    report.generation = engine::generate_text(
        *session_, model_.tokenizer, sampling,
        [&](std::string_view piece) {
            report.answer += piece;
            if (callbacks.on_piece) callbacks.on_piece(piece);
        },
        cancel);
    messages_.push_back({"assistant", report.answer});
    cache_text_ += model_.tokenizer.decode(report.generation.tokens);
    sources_.resize(static_cast<size_t>(session_->position()));
    report.cited = cite_pages(session_->cached_attention(), session_->cache(), sources_, documents_);
    session_->track_cached_attention(false);
}

}  // namespace glimpse
