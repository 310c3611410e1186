#pragma once
// A conversation about documents: the first question reads the documents (with page
// markers) and the question through the session's eviction policy; each later question
// appends only its own tokens to the cache. The token→page map of the documents is kept so
// an answer can be traced to the pages it drew on. The CLI's `ask` and `chat` and the
// desktop app all talk to a model through this.

#include "core/loaded_model.h"
#include "core/page_citations.h"
#include "engine/chat/chat_template.h"
#include "engine/eviction/eviction_policy.h"
#include "engine/session/sampling.h"
#include "engine/session/session.h"
#include "prompt/document_prompt.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace glimpse {

struct ConversationOptions {
    engine::SamplingParams sampling;
    std::string system_prompt;      // empty: the template's own
    // A fresh policy for each session the conversation reads into (policies keep state);
    // empty: the model's own (LoadedModel::make_policy).
    std::function<std::shared_ptr<engine::EvictionPolicy>()> make_policy{};
    // Windowed reading: tokens per window; 0 reads in windows only what does not fit the
    // model's context window (engine::SessionOptions).
    int64_t window = 0;
    // What the KV cache keeps (engine/session/kv_rows.h): f16 halves f32's memory, and its
    // answers differ by less than 0.01 nats per token (README, KV cache precision).
    engine::GgmlType kv_type = engine::GgmlType::F16;
};

// What one question cost and produced.
struct TurnReport {
    std::string answer;
    int64_t read_tokens = 0;                 // tokens read before answering (documents and question on a first turn)
    double read_seconds = 0.0;
    bool read_documents = false;             // this turn read the documents (first turn, or the template rewrote history)
    engine::PrefillStats prefill;            // of that reading, when read_documents
    engine::GenerationStats generation;
    std::vector<PageCitation> cited;         // the pages the answer drew on, most-cited first
};

// What a conversation holds besides its cache, for saving and restoring it.
struct ConversationState {
    std::vector<engine::ChatMessage> messages;
    std::string cache_text;                  // the rendered text whose tokens the cache holds
    std::vector<TokenSource> sources;        // per cached token position
};

struct TurnCallbacks {
    engine::ProgressCallback on_progress;    // while documents are read
    engine::PieceCallback on_piece;          // the answer as it streams
};

class Conversation {
public:
    Conversation(const LoadedModel& model, ConversationOptions options, std::vector<PromptDocument> documents);

    // Answers `question`. Throws engine::Error (ErrorKind::Cancelled when cancelled before
    // the answer began; a prompt that does not fit the context is Invalid), leaving the
    // conversation as it was. Cancelled during the answer, it keeps what was said so far.
    TurnReport ask(const std::string& question, const TurnCallbacks& callbacks = {},
                   const std::atomic<bool>* cancel = nullptr);
    // Answers the last question again: the cache goes back to where the last answer began
    // (nothing is read again) and a new answer is sampled with a new seed, at the options'
    // temperature, or at kRegenerateTemperature when they are greedy (greedy would only
    // repeat itself). Throws engine::Error when there is no answer since the conversation was
    // read or restored; cancelled, it keeps what was said so far, as ask() does.
    TurnReport regenerate(const TurnCallbacks& callbacks = {}, const std::atomic<bool>* cancel = nullptr);
    bool can_regenerate() const { return answer_start_.has_value(); }
    static constexpr float kRegenerateTemperature = 0.7f;

    // The state to save beside session()->cache(); restore() continues from both, so the
    // next question is appended without reading the documents again. restore() throws
    // engine::Error (ErrorKind::WrongModel) for another model's cache and leaves the
    // conversation as it was.
    ConversationState state() const { return {messages_, cache_text_, sources_}; }
    void restore(ConversationState state, engine::CompressedCache cache);

    const std::vector<engine::ChatMessage>& messages() const { return messages_; }
    const std::vector<PromptDocument>& documents() const { return documents_; }
    // The session holding the cache; null before the first question.
    const engine::Session* session() const { return session_.get(); }
    // Per cached token position: the (document, page) it came from; past the documents,
    // {-1, 0}.
    const std::vector<TokenSource>& token_sources() const { return sources_; }

private:
    // Where the last answer began: enough to go back there without reading again.
    struct AnswerStart {
        engine::CompressedCache::Mark mark;
        std::vector<float> logits;
        std::string cache_text;
        std::vector<TokenSource> sources;
    };

    void check_fits(int64_t tokens) const;
    void answer(TurnReport& report, const engine::SamplingParams& sampling, const TurnCallbacks& callbacks,
                const std::atomic<bool>* cancel);
    engine::SessionOptions session_options() const;
    // Reads a whole prompt in a new session; `question` is read with each window but the last
    // (SessionOptions::window_probe), empty when not known apart.
    engine::PrefillStats read(const std::string& text, const std::vector<int32_t>& tokens,
                              const std::vector<int32_t>& question, const TurnCallbacks& callbacks,
                              const std::atomic<bool>* cancel);

    const LoadedModel& model_;
    ConversationOptions options_;
    std::vector<PromptDocument> documents_;
    std::vector<engine::ChatMessage> messages_;
    std::unique_ptr<engine::Session> session_;
    std::string cache_text_;   // the text whose tokens the session's cache holds
    std::vector<TokenSource> sources_;
    std::optional<AnswerStart> answer_start_;
    uint64_t regenerations_ = 0;
};

}  // namespace glimpse
