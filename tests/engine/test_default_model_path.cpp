// Where default_model_path() looks: the explicit variables, the user's cache first, then the
// system-wide folders of $XDG_DATA_DIRS where the glimpse-default-model package installs it.

#include "engine/default_model.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

class TestDefaultModelPath : public QObject {
    Q_OBJECT

    QTemporaryDir root_;

    fs::path dir(const char* name) const { return fs::path(root_.path().toStdString()) / name; }

    static fs::path put_model(const fs::path& models_dir) {
        fs::create_directories(models_dir);
        const auto path = models_dir / engine::kDefaultModelFile;
        std::ofstream(path) << "GGUF";
        return path;
    }

    static void set(const char* name, const fs::path& value) { ::setenv(name, value.c_str(), 1); }

private slots:
    void init() {
        QVERIFY(root_.isValid());
        for (const char* name : {"GLIMPSE_MODEL", "GLIMPSE_MODEL_DIR", "XDG_CACHE_HOME", "XDG_DATA_DIRS"})
            ::unsetenv(name);
        fs::remove_all(dir("home"));
        fs::remove_all(dir("system-a"));
        fs::remove_all(dir("system-b"));
        fs::create_directories(dir("home"));
        set("HOME", dir("home"));
        // Only folders of this test, so a model installed on the machine cannot answer.
        set("XDG_DATA_DIRS", dir("system-a").string() + ":" + dir("system-b").string());
    }

    void explicitModelWins() {
        put_model(dir("home") / ".cache/glimpse/models");
        set("GLIMPSE_MODEL", "/elsewhere/model.gguf");
        QCOMPARE(engine::default_model_path(), fs::path("/elsewhere/model.gguf"));
    }

    void modelDirIsTakenAsGivenEvenWhenEmpty() {
        put_model(dir("system-a") / "glimpse/models");
        set("GLIMPSE_MODEL_DIR", dir("mine"));
        QCOMPARE(engine::default_model_path(), dir("mine") / engine::kDefaultModelFile);
    }

    void missingEverywhereNamesTheUserCache() {
        QCOMPARE(engine::default_model_path(), dir("home") / ".cache/glimpse/models" / engine::kDefaultModelFile);
        set("XDG_CACHE_HOME", dir("cache"));
        QCOMPARE(engine::default_model_path(), dir("cache") / "glimpse/models" / engine::kDefaultModelFile);
    }

    void systemCopyIsFoundWhenTheCacheHasNone() {
        const auto system = put_model(dir("system-b") / "glimpse/models");
        QCOMPARE(engine::default_model_path(), system);
    }

    void earlierDataDirWins() {
        put_model(dir("system-b") / "glimpse/models");
        const auto first = put_model(dir("system-a") / "glimpse/models");
        QCOMPARE(engine::default_model_path(), first);
    }

    void userCacheWinsOverSystemCopy() {
        put_model(dir("system-a") / "glimpse/models");
        const auto cached = put_model(dir("home") / ".cache/glimpse/models");
        QCOMPARE(engine::default_model_path(), cached);
    }

    void relativeAndEmptyDataDirsAreIgnored() {
        const auto system = put_model(dir("system-b") / "glimpse/models");
        set("XDG_DATA_DIRS", std::string("::relative:") + dir("system-b").string() + ":");
        QCOMPARE(engine::default_model_path(), system);
    }
};

QTEST_APPLESS_MAIN(TestDefaultModelPath)
#include "test_default_model_path.moc"
