#pragma once
// The default model opened as the app opens it, and the shipped sample report, for the
// application-core suites.

#include "test_support.h"

#include "core/loaded_model.h"
#include "core/prompt_document_of.h"
#include "ingest/read_document.h"

#include <filesystem>

namespace test_support {

inline glimpse::LoadedModel open_default_model() {
    const auto path = default_model();
    auto model = engine::Model::open(path);
    auto tokenizer = engine::Tokenizer::from_gguf(model->file());
    auto chat = engine::ChatTemplate::from_gguf(model->file());
    return {path, model, engine::make_cpu_backend(2), std::move(tokenizer), std::move(chat)};
}

inline std::filesystem::path sample_report_path() { return source_dir() / "resources/samples/harbor-light-report.md"; }

inline glimpse::PromptDocument sample_report_document() {
    return glimpse::prompt_document_of(ingest::read_document(QString::fromStdString(sample_report_path().string()), {}));
}

}  // namespace test_support
