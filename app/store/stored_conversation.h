#pragma once
// A Conversation kept in a SessionStore: started with its documents, or continued from the
// store (documents from their stored text, the KV cache from its snapshot, so the next
// question reads no documents), and saved after every turn (the turn, then the snapshot
// extended by what the cache gained). The CLI and the desktop app both go through this.

#include "core/conversation.h"
#include "core/loaded_model.h"
#include "store/session_store.h"

#include <memory>
#include <string>

namespace engine {
struct LookaheadAdapter;
}

namespace glimpse::store {

struct StoredConversation {
    SessionRecord session;
    std::unique_ptr<Conversation> conversation;
    bool restored = false;           // the cache came from the snapshot
    std::string not_restored;        // why a stored snapshot was not used (empty when it was, or none exists)
    int64_t snapshot_bytes = 0;      // of the loaded snapshot
    double load_seconds = 0.0;       // reading the snapshot and restoring the conversation
};

// The documents' text as the prompt takes it.
std::vector<PromptDocument> prompt_documents(const std::vector<StoredDocument>& documents);

// The identity snapshots are made and checked under: the model's fingerprint, the adapter's,
// the policy and budget, the cache format.
SnapshotIdentity snapshot_identity(const LoadedModel& model, const std::string& policy, int64_t budget,
                                   const engine::LookaheadAdapter* adapter);
// ... of the model as opened, with its own policy and options.
SnapshotIdentity snapshot_identity(const LoadedModel& model);

// "temperature=0;top_k=0;..." for the session record.
std::string sampling_text(const engine::SamplingParams& params);

// Creates a session with its documents. Throws engine::Error (Invalid when the name is taken).
StoredConversation start_stored_conversation(SessionStore& store, const std::string& name, const LoadedModel& model,
                                             ConversationOptions options, const SnapshotIdentity& identity,
                                             std::vector<StoredDocument> documents);

// Continues a stored session. A snapshot that cannot be used (another model, adapter,
// policy or cache format; damaged bytes) is not an error: `not_restored` says why and the
// next question reads the documents again from their stored text.
StoredConversation resume_stored_conversation(SessionStore& store, const SessionRecord& session,
                                              const LoadedModel& model, ConversationOptions options,
                                              const SnapshotIdentity& identity);

// Saves the turn just asked and the snapshot of the cache after it.
void save_turn(SessionStore& store, const StoredConversation& stored, const SnapshotIdentity& identity,
               const std::string& question, const TurnReport& turn);
// Saves a regenerated answer over the last one, and the snapshot of the cache after it.
void save_regenerated_turn(SessionStore& store, const StoredConversation& stored, const SnapshotIdentity& identity,
                           const TurnReport& turn);

}  // namespace glimpse::store
