// Where run-time resources are found: $GLIMPSE_DATA_DIR, else <executable>/../share/glimpse
// (the build tree has one too), and a missing resource is an error naming where it looked.

#include "core/data_dir.h"

#include "test_support.h"

#include <QtTest/QtTest>

#include <fstream>

using test_support::error_of;

class TestDataDir : public QObject {
    Q_OBJECT

private slots:
    void the_environment_variable_wins() {
        const auto d = glimpse::locate_data_dir("/opt/glimpse-data", "/usr/bin/glimpse-cli");
        QCOMPARE(d.path, std::filesystem::path("/opt/glimpse-data"));
        QVERIFY(QString::fromStdString(d.origin).contains("GLIMPSE_DATA_DIR"));

        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        std::filesystem::create_directories(root / "eval");
        std::ofstream(root / "eval/haystack.jsonl") << "{}\n";
        qputenv("GLIMPSE_DATA_DIR", dir.path().toUtf8());
        QCOMPARE(glimpse::data_dir().path, root);
        QCOMPARE(glimpse::data_file("eval/haystack.jsonl"), root / "eval/haystack.jsonl");
        qunsetenv("GLIMPSE_DATA_DIR");
        QVERIFY(glimpse::data_dir().path != root);
    }

    void otherwise_it_is_share_glimpse_beside_the_executable() {
        QCOMPARE(glimpse::locate_data_dir(nullptr, "/usr/bin/glimpse-cli").path, std::filesystem::path("/usr/share/glimpse"));
        QCOMPARE(glimpse::locate_data_dir("", "/home/a/.local/bin/glimpse-cli").path,
                 std::filesystem::path("/home/a/.local/share/glimpse"));

        // This test's own executable: the unset variable falls back to /proc/self/exe.
        qunsetenv("GLIMPSE_DATA_DIR");
        const auto self = std::filesystem::read_symlink("/proc/self/exe");
        QCOMPARE(glimpse::data_dir().path, (self.parent_path() / "../share/glimpse").lexically_normal());
    }

    void the_build_tree_has_the_resources_where_glimpse_cli_looks() {
        const auto d = glimpse::locate_data_dir(nullptr, test_support::cli_path());
        for (const char* name : {"lookahead/SmolLM2-135M-Instruct.Q4_1.lookahead.gguf", "lookahead/training_corpus.jsonl",
                                 "eval/haystack.jsonl", "samples/harbor-light-report.md", "scripts/bench_llamacpp.py"})
            QVERIFY2(std::filesystem::is_regular_file(glimpse::data_file(d, name)), name);
    }

    void a_missing_resource_names_where_it_looked() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        const glimpse::DataDir d{root, "from $GLIMPSE_DATA_DIR"};
        QString m = error_of([&] { glimpse::data_file(d, "eval/haystack.jsonl"); });
        QVERIFY2(m.contains(QString::fromStdString((root / "eval/haystack.jsonl").string())), qPrintable(m));
        QVERIFY2(m.contains("GLIMPSE_DATA_DIR"), qPrintable(m));

        m = error_of([&] { glimpse::data_file(glimpse::locate_data_dir(nullptr, root / "bin/glimpse-cli"), "lookahead"); });
        QVERIFY2(m.contains(QString::fromStdString((root / "share/glimpse/lookahead").string())), qPrintable(m));
        QVERIFY2(m.contains("does not exist"), qPrintable(m));

        m = error_of([&] { glimpse::data_file(glimpse::locate_data_dir(nullptr, {}), "lookahead"); });
        QVERIFY2(m.contains("GLIMPSE_DATA_DIR"), qPrintable(m));
    }
};

QTEST_GUILESS_MAIN(TestDataDir)
#include "test_data_dir.moc"
