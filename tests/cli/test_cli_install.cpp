// An installed glimpse-cli finds its resources under <prefix>/share/glimpse, with no path into
// the source tree; a renamed model keeps the shipped adapter; a missing data directory is an
// error that names where it looked.

#include "test_support.h"

#include <QtTest/QtTest>

class TestCliInstall : public QObject {
    Q_OBJECT

    struct Result {
        int code = -1;
        QString out;
        QString err;
    };

    static Result run(const QString& program, const QStringList& args, const QProcessEnvironment& env,
                      const QString& cwd = {}) {
        QProcess p;
        p.setProcessEnvironment(env);
        if (!cwd.isEmpty()) p.setWorkingDirectory(cwd);
        p.start(program, args);
        p.closeWriteChannel();
        if (!p.waitForFinished(600000)) return {-2, "timeout", "timeout"};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -3, QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

    // Mount namespaces need root (or user namespaces); not every container allows them.
    static bool can_hide_directories(const QString& empty) {
        QProcess p;
        p.start("unshare", {"--mount", "sh", "-c", "mount --bind \"$1\" \"$1\" 2>/dev/null", "sh", empty});
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }

private slots:
    void an_installed_copy_runs_without_the_source_tree() {
        QTemporaryDir prefix, home, cwd, empty;
        auto r = run(GLIMPSE_CMAKE_COMMAND, {"--install", GLIMPSE_BINARY_DIR, "--prefix", prefix.path()},
                     QProcessEnvironment::systemEnvironment());
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));

        const QDir p(prefix.path());
        const QString cli = p.filePath("bin/glimpse-cli");
        for (const char* name : {"bin/glimpse-cli", "share/glimpse/lookahead/SmolLM2-135M-Instruct.Q4_1.lookahead.gguf",
                                 "share/glimpse/lookahead/ADAPTER_CARD.md", "share/glimpse/lookahead/training_corpus.jsonl",
                                 "share/glimpse/eval/haystack.jsonl", "share/glimpse/samples/harbor-light-report.md",
                                 "share/glimpse/scripts/bench_llamacpp.py"})
            QVERIFY2(QFileInfo(p.filePath(name)).isFile(), name);
        QVERIFY(!QFileInfo::exists(p.filePath("share/glimpse/eval/results")));

        // No path into the source tree is compiled into the binary.
        QFile binary(cli);
        QVERIFY(binary.open(QIODevice::ReadOnly));
        const QByteArray source = QByteArray::fromStdString(test_support::source_dir().string());
        QVERIFY2(!binary.readAll().contains(source), "the installed glimpse-cli names the source directory");

        // The model comes from GLIMPSE_MODEL; nothing else from this machine's setup.
        auto env = QProcessEnvironment::systemEnvironment();
        for (const char* name : {"GLIMPSE_DATA_DIR", "GLIMPSE_MODEL_DIR", "XDG_CACHE_HOME"}) env.remove(name);
        env.insert("HOME", home.path());
        env.insert("GLIMPSE_MODEL", QString::fromStdString(test_support::default_model().string()));
        const QStringList ask{"ask", "--threads", "2", "--doc", p.filePath("share/glimpse/samples/harbor-light-report.md"),
                              "--budget", "256", "What is the entrance code for the night tours?"};
        // Where the system allows it, the source tree (and the build tree inside it) is
        // hidden behind an empty directory for the run, so it cannot be read at all.
        if (can_hide_directories(empty.path())) {
            QStringList args{"--mount", "sh", "-c", "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"", "sh",
                             empty.path(), QString::fromStdString(test_support::source_dir().string()), cli};
            r = run("unshare", args + ask, env, cwd.path());
        } else {
            qInfo("unshare --mount is not allowed here: the source tree stays visible for this run");
            r = run(cli, ask, env, cwd.path());
        }
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));
        QVERIFY2(r.err.contains("KV cache (lookahead, budget 256)"), qPrintable(r.err));
    }

    void a_renamed_model_keeps_its_adapter() {
        QTemporaryDir dir;
        const QString model = dir.filePath("model.gguf");
        QVERIFY(QFile::copy(QString::fromStdString(test_support::default_model().string()), model));
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("GLIMPSE_DATA_DIR");
        const QString sample = QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.md").string());
        const QString cli = QString::fromStdString(test_support::cli_path().string());
        auto r = run(cli, {"ask", "--threads", "2", "--model", model, "--budget", "64", "--max-tokens", "2", "--doc", sample,
                           "What is the entrance code?"}, env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("KV cache (lookahead, budget 64)"), qPrintable(r.err));

        // With an empty data directory there is no adapter, and asking for one says where it looked.
        QTemporaryDir data;
        env.insert("GLIMPSE_DATA_DIR", data.path());
        r = run(cli, {"ask", "--model", model, "--policy", "lookahead", "--max-tokens", "2", "q"}, env);
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("no LookaheadKV adapter for model.gguf"), qPrintable(r.err));
        QVERIFY2(r.err.contains(dir.path()) && r.err.contains(QDir(data.path()).filePath("lookahead")), qPrintable(r.err));
        r = run(cli, {"make-data", "--model", model, "--out", dir.filePath("out"), "--samples", "1"}, env);
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QDir(data.path()).filePath("lookahead/training_corpus.jsonl")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliInstall)
#include "test_cli_install.moc"
