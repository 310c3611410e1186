#pragma once
// Small helpers shared by the test suites.

#include "engine/default_model.h"
#include "engine/error.h"

#include <QProcess>
#include <QtTest/QtTest>

#include <filesystem>
#include <functional>
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

// What a run of glimpse-cli printed and how it ended (code -2: it did not end in 10 minutes).
struct CliResult {
    int code = -1;
    QString out;
    QString err;
};

// Runs glimpse-cli with `args`, writing `input` to its standard input, in `environment`.
inline CliResult run_cli(const QStringList& args, const QByteArray& input = {},
                         const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(environment);
    p.start(QString::fromStdString(cli_path().string()), args);
    if (!input.isEmpty()) p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(600000)) return {-2, "timeout", "timeout"};
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

// The message of the engine::Error that f throws; empty when it throws none.
inline QString error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const engine::Error& e) {
        return e.what();
    }
    return {};
}

}  // namespace test_support
