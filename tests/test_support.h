#pragma once
// Small helpers shared by the test suites.

#include "engine/default_model.h"

#include <QtTest/QtTest>

#include <filesystem>
#include <string>

namespace test_support {

// The default model, fetched by the `fetch_default_model` CTest fixture. Fails the test
// (rather than skipping) when it is missing, so CI can never pass without it.
inline std::filesystem::path default_model() {
    auto path = engine::default_model_path();
    if (!std::filesystem::exists(path))
        qFatal("default model missing at %s: run scripts/fetch-model", path.string().c_str());
    return path;
}

inline std::filesystem::path source_dir() { return GLIMPSE_SOURCE_DIR; }
inline std::filesystem::path cli_path() { return GLIMPSE_CLI_PATH; }

}  // namespace test_support
