#include "core/model_setup.h"

#include "core/data_dir.h"
#include "engine/default_model.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/lookahead/lookahead_adapter.h"

#include <optional>

namespace glimpse {

std::shared_ptr<engine::EvictionPolicy> LoadedModel::make_policy() const {
    return engine::make_policy(policy, policy_options);
}

std::filesystem::path resolve_model_path(const std::filesystem::path& given) {
    if (!given.empty()) return given;
    auto path = engine::default_model_path();
    if (!std::filesystem::exists(path))
        throw engine::Error(engine::ErrorKind::Io, "the default model is not at " + path.string() +
                                                       "; install the glimpse-default-model package or run scripts/fetch-model, or pass a GGUF file with --model");
    return path;
}

std::vector<std::filesystem::path> shipped_adapter_dirs() {
    const DataDir data = data_dir();
    if (data.path.empty()) return {};
    return {data.path / "lookahead"};
}

std::filesystem::path adapter_path_for(const ModelChoice& choice, const std::filesystem::path& model_path,
                                       uint64_t model_fingerprint) {
    if (!choice.adapter.empty()) return choice.adapter;
    return engine::find_adapter_for(model_path, model_fingerprint, choice.adapter_dirs).value_or(std::filesystem::path{});
}

LoadedModel open_model(const ModelChoice& choice) {
    auto path = resolve_model_path(choice.model);
    auto model = engine::Model::open(path);
    auto tokenizer = engine::Tokenizer::from_gguf(model->file());
    std::optional<std::string> template_name;
    if (!choice.chat_template.empty()) template_name = choice.chat_template;
    auto chat = engine::ChatTemplate::from_gguf(model->file(), template_name);
    LoadedModel loaded{std::move(path), std::move(model), engine::make_cpu_backend(choice.threads), std::move(tokenizer),
                       std::move(chat)};

    loaded.adapter_path = adapter_path_for(choice, loaded.path, loaded.model->fingerprint());
    // Without an adapter a document longer than the budget is still compressed, by SnapKV.
    loaded.policy = !choice.policy.empty() ? choice.policy : loaded.adapter_path.empty() ? "snapkv" : "lookahead";
    if (loaded.policy == "lookaheadkv") loaded.policy = "lookahead";
    engine::PolicyOptions& po = loaded.policy_options;
    po = choice.policy_options;
    po.n_layers = loaded.model->config().n_layers;
    if (po.draft_model_path.empty() && !po.draft_model) po.draft_model = loaded.model;   // SpecKV drafts with itself
    // A draft file that is the model itself (by fingerprint, whatever its name) drafts as the
    // default does, and is reported as the same oracle (engine::drafts_with_target).
    if (!po.draft_model && engine::Model::open(po.draft_model_path)->fingerprint() == loaded.model->fingerprint()) {
        po.draft_model = loaded.model;
        po.draft_model_path.clear();
    }
    if (loaded.policy == "lookahead") {
        if (loaded.adapter_path.empty()) {
            std::string searched;
            for (const auto& dir : engine::adapter_search_dirs(loaded.path, choice.adapter_dirs))
                searched += (searched.empty() ? "" : ", ") + dir.string();
            throw engine::Error("policy lookahead: no LookaheadKV adapter for " + loaded.path.filename().string() +
                                " (looked for a *.lookahead.gguf made for its fingerprint in " + searched +
                                "); pass --adapter FILE or choose another --policy");
        }
        po.adapter = std::make_shared<const engine::LookaheadAdapter>(
            engine::LookaheadAdapter::load(loaded.adapter_path, *loaded.model));
    } else {
        loaded.adapter_path.clear();   // only the lookahead policy uses one
    }
    loaded.make_policy();   // bad options fail now, before any work
    return loaded;
}

}  // namespace glimpse
