#pragma once
// What a person sets in the Settings dialog, kept with QSettings (the user's config
// location): the model and adapter files, policy, budget, KV precision, threads, sampling, answer length
// and system prompt. Command-line options override them for one run.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "engine/session/kv_rows.h"

#include <QString>

namespace glimpse::ui {

struct AppSettings {
    QString model;            // empty: the default model
    QString adapter;          // empty: the model's shipped adapter, if any
    QString policy;           // empty: lookahead with an adapter, else snapkv
    qint64 budget = 2048;
    QString kvType = QString::fromStdString(engine::kv_type_name(ConversationOptions{}.kv_type));   // f32, f16, q8_0
    int threads = 0;          // 0: one per hardware thread
    double temperature = 0.0; // 0: greedy
    double topP = 1.0;
    int maxAnswerTokens = 512;
    QString systemPrompt;     // empty: the model's own

    static AppSettings load();
    void save() const;

    ModelChoice modelChoice() const;
    ConversationOptions conversationOptions() const;
    bool operator==(const AppSettings&) const = default;
};

}  // namespace glimpse::ui
