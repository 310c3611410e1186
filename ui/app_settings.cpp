#include "ui/app_settings.h"

#include "engine/error.h"

#include <QSettings>

namespace glimpse::ui {

AppSettings AppSettings::load() {
    QSettings s;
    AppSettings a;
    a.model = s.value("model/file", a.model).toString();
    a.adapter = s.value("model/adapter", a.adapter).toString();
    a.policy = s.value("model/policy", a.policy).toString();
    a.budget = s.value("model/budget", a.budget).toLongLong();
    a.kvType = s.value("model/kv_type", a.kvType).toString();
    a.threads = s.value("model/threads", a.threads).toInt();
    a.temperature = s.value("answer/temperature", a.temperature).toDouble();
    a.topP = s.value("answer/top_p", a.topP).toDouble();
    a.maxAnswerTokens = s.value("answer/max_tokens", a.maxAnswerTokens).toInt();
    a.systemPrompt = s.value("answer/system_prompt", a.systemPrompt).toString();
    return a;
}

void AppSettings::save() const {
    QSettings s;
    s.setValue("model/file", model);
    s.setValue("model/adapter", adapter);
    s.setValue("model/policy", policy);
    s.setValue("model/budget", budget);
    s.setValue("model/kv_type", kvType);
    s.setValue("model/threads", threads);
    s.setValue("answer/temperature", temperature);
    s.setValue("answer/top_p", topP);
    s.setValue("answer/max_tokens", maxAnswerTokens);
    s.setValue("answer/system_prompt", systemPrompt);
}

ModelChoice AppSettings::modelChoice() const {
    ModelChoice c;
    c.model = model.toStdString();
    c.adapter = adapter.toStdString();
    c.policy = policy.toStdString();
    c.policy_options.budget = budget;
    c.policy_options.answer_tokens = maxAnswerTokens;   // SpecKV drafts a whole answer
    c.threads = threads;
    c.adapter_dirs = shipped_adapter_dirs();
    return c;
}

ConversationOptions AppSettings::conversationOptions() const {
    ConversationOptions o;
    o.sampling.temperature = float(temperature);
    o.sampling.top_p = float(topP);
    o.sampling.max_new_tokens = maxAnswerTokens;
    o.system_prompt = systemPrompt.toStdString();
    try {
        o.kv_type = engine::parse_kv_type(kvType.toStdString());
    } catch (const engine::Error&) {
        // A hand-edited or older settings file: keep the default.
    }
    return o;
}

}  // namespace glimpse::ui
