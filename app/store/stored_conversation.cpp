#include "store/stored_conversation.h"


#include "engine/error.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "store/kv_layer_blob.h"

#include <chrono>
#include <cstdio>

namespace glimpse::store {
namespace {

std::string hex(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::unique_ptr<Conversation> conversation_over(const LoadedModel& model, ConversationOptions options,
                                                const std::vector<StoredDocument>& documents,
                                                const std::string& system_prompt) {
    options.system_prompt = system_prompt;
    return std::make_unique<Conversation>(model, std::move(options), prompt_documents(documents));
}

}  // namespace

std::vector<PromptDocument> prompt_documents(const std::vector<StoredDocument>& documents) {
    std::vector<PromptDocument> out;
    out.reserve(documents.size());
    for (const auto& d : documents) out.push_back(d.document);
    return out;
}

SnapshotIdentity snapshot_identity(const LoadedModel& model, const std::string& policy, int64_t budget,
                                   const engine::LookaheadAdapter* adapter) {
    SnapshotIdentity id;
    id.model_fingerprint = hex(model.model->fingerprint());
    if (adapter) id.adapter_fingerprint = hex(fnv1a64(adapter->to_bytes()));
    id.policy = policy;
    id.budget = budget;
    id.cache_format = engine::CompressedCache::kFormatVersion;
    return id;
}

SnapshotIdentity snapshot_identity(const LoadedModel& model) {
    return snapshot_identity(model, model.policy, model.policy_options.budget, model.policy_options.adapter.get());
}

std::string sampling_text(const engine::SamplingParams& p) {
    return "temperature=" + std::to_string(p.temperature) + ";top_k=" + std::to_string(p.top_k) +
           ";top_p=" + std::to_string(p.top_p) + ";min_p=" + std::to_string(p.min_p) +
           ";repeat_penalty=" + std::to_string(p.repetition_penalty) + ";seed=" + std::to_string(p.seed) +
           ";max_tokens=" + std::to_string(p.max_new_tokens);
}

StoredConversation start_stored_conversation(SessionStore& store, const std::string& name, const LoadedModel& model,
                                             ConversationOptions options, const SnapshotIdentity& identity,
                                             std::vector<StoredDocument> documents) {
    std::string title = documents.empty() ? name : documents.front().document.title;
    for (size_t i = 1; i < documents.size(); ++i) title += ", " + documents[i].document.title;
    StoredConversation out;
    out.session = store.create(name, title, identity, sampling_text(options.sampling), options.system_prompt, documents);
    out.conversation = conversation_over(model, std::move(options), documents, out.session.system_prompt);
    return out;
}

StoredConversation resume_stored_conversation(SessionStore& store, const SessionRecord& session,
                                              const LoadedModel& model, ConversationOptions options,
                                              const SnapshotIdentity& identity) {
    const auto start = std::chrono::steady_clock::now();
    StoredConversation out;
    out.session = session;
    const auto documents = store.documents(session.id);
    out.conversation = conversation_over(model, std::move(options), documents, session.system_prompt);
    std::optional<LoadedSnapshot> snapshot;
    try {
        snapshot = store.load_snapshot(session, identity, model.model->fingerprint());
    } catch (const engine::Error& e) {
        if (e.kind() != engine::ErrorKind::WrongModel && e.kind() != engine::ErrorKind::BadFile) throw;
        out.not_restored = e.what();
        return out;
    }
    if (!snapshot) return out;

    // The messages the cache has read, then any turn saved after the snapshot (a writer
    // killed in between): the next question appends those turns' text before itself.
    const auto turns = store.turns(session.id);
    ConversationState state;
    if (!session.system_prompt.empty()) state.messages.push_back({"system", session.system_prompt});
    std::vector<PromptDocument> docs;
    for (const auto& d : documents) docs.push_back(d.document);
    for (size_t i = static_cast<size_t>(snapshot->state.first_turn); i < turns.size(); ++i) {
        const bool first = static_cast<int64_t>(i) == snapshot->state.first_turn;
        state.messages.push_back({"user", first ? document_message(docs, turns[i].question) : turns[i].question});
        state.messages.push_back({"assistant", turns[i].answer});
    }
    state.cache_text = std::move(snapshot->state.cache_text);
    state.sources = std::move(snapshot->state.sources);
    try {
        out.conversation->restore(std::move(state), std::move(snapshot->cache));
    } catch (const engine::Error& e) {
        out.not_restored = e.what();
        return out;
    }
    out.restored = true;
    out.snapshot_bytes = snapshot->bytes;
    out.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

namespace {

TurnRecord record_of(const std::string& question, const TurnReport& turn) {
    TurnRecord record;
    record.question = question;
    record.answer = turn.answer;
    record.read_tokens = turn.read_tokens;
    record.answer_tokens = turn.generation.generated_tokens;
    record.read_seconds = turn.read_seconds;
    record.answer_seconds = turn.generation.seconds;
    record.read_documents = turn.read_documents;
    for (const auto& c : turn.cited)   // "document:page", most cited first
        record.cited_pages += (record.cited_pages.empty() ? "" : ",") + std::to_string(c.document) + ":" + std::to_string(c.page);
    return record;
}

// The snapshot after turn `index`; extended when the stored one is a prefix of it.
void save_snapshot_after(SessionStore& store, const StoredConversation& stored, const SnapshotIdentity& identity,
                         int64_t index, bool extend) {
    const Conversation& c = *stored.conversation;
    if (!c.session()) return;
    int64_t user_turns = 0;
    for (const auto& m : c.messages()) user_turns += m.role == "user";
    SnapshotState state;
    const auto full = c.state();
    state.cache_text = full.cache_text;
    state.sources = full.sources;
    state.turns = index + 1;
    state.first_turn = state.turns - user_turns;
    store.save_snapshot(stored.session.id, identity, c.session()->cache(), state, extend);
}

}  // namespace

void save_turn(SessionStore& store, const StoredConversation& stored, const SnapshotIdentity& identity,
               const std::string& question, const TurnReport& turn) {
    const int64_t index = store.add_turn(stored.session.id, record_of(question, turn));
    save_snapshot_after(store, stored, identity, index, !turn.read_documents);
}

void save_regenerated_turn(SessionStore& store, const StoredConversation& stored, const SnapshotIdentity& identity,
                           const TurnReport& turn) {
    const int64_t index = store.replace_last_answer(stored.session.id, record_of({}, turn));
    // The stored snapshot holds the old answer, so it is not a prefix: a new one replaces it.
    save_snapshot_after(store, stored, identity, index, true);
}

}  // namespace glimpse::store
