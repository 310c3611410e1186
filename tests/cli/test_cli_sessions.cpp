// `glimpse-cli chat --session` and `glimpse-cli sessions` end to end with the default model:
// a session is created, continued without reading its document again (the file is gone by
// then), shown, exported, renamed and deleted; a damaged store is one clear error.

#include "test_support.h"

#include <QtTest/QtTest>

class TestCliSessions : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    using Result = test_support::CliResult;

    Result run(const QStringList& args, const QByteArray& input = {}) {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("GLIMPSE_SESSIONS_DB", dir_.filePath("sessions.sqlite"));
        return test_support::run_cli(args, input, env);
    }

private slots:
    void a_session_continues_without_reading_its_document_again() {
        const QString doc = dir_.filePath("report.md");
        QVERIFY(QFile::copy(QString::fromStdString((test_support::source_dir() /
                                                    "resources/samples/harbor-light-report.md").string()), doc));
        auto r = run({"chat", "--session", "harbor", "--threads", "2", "--policy", "snapkv", "--budget", "512", "-n", "24",
                      "--doc", doc},
                     "What is the entrance code for the night tours?\n");
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));
        QVERIFY2(r.err.contains("new session \"harbor\""), qPrintable(r.err));
        QVERIFY(QFile::remove(doc));   // the store holds the text

        r = run({"chat", "--session", "harbor", "--threads", "2", "-n", "16"}, "Who was the last keeper?\n");
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("continuing session \"harbor\": 1 turns"), qPrintable(r.err));
        auto m = QRegularExpression("prompt (\\d+) tokens").match(r.err);
        QVERIFY2(m.hasMatch() && m.captured(1).toInt() < 40, qPrintable(r.err));   // the question only
        QVERIFY2(r.err.contains("KV cache (snapkv, budget 512)"), qPrintable(r.err));

        r = run({"sessions", "show", "harbor"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("turns     2") && r.out.contains("2 segments") && r.out.contains("MiB full cache"),
                 qPrintable(r.out));
        r = run({"sessions", "export", "harbor"});
        QVERIFY2(r.out.contains("## 1. What is the entrance code for the night tours?") &&
                     r.out.contains("## 2. Who was the last keeper?"),
                 qPrintable(r.out));
        r = run({"sessions", "rename", "harbor", "lighthouse"});
        QCOMPARE(r.code, 0);
        r = run({"sessions", "list"});
        QVERIFY2(r.out.contains("lighthouse") && !r.out.contains("harbor "), qPrintable(r.out));

        // Another policy: the snapshot is not used, the stored text is read again.
        r = run({"chat", "--session", "lighthouse", "--threads", "2", "--policy", "h2o", "--budget", "512", "-n", "16"},
                "What is the entrance code for the night tours?\n");
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("cannot be used: it was made with policy snapkv") &&
                     r.err.contains("read again from their stored text"),
                 qPrintable(r.err));
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));

        r = run({"sessions", "delete", "lighthouse"});
        QCOMPARE(r.code, 0);
        r = run({"sessions", "show", "lighthouse"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("no session named \"lighthouse\""), qPrintable(r.err));
    }

    void a_damaged_store_is_one_clear_error() {
        QFile f(dir_.filePath("sessions.sqlite"));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QByteArray(4096, 'x'));
        f.close();
        QFile::remove(dir_.filePath("sessions.sqlite-wal"));
        QFile::remove(dir_.filePath("sessions.sqlite-shm"));
        const auto r = run({"sessions", "list"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("sessions.sqlite") && r.err.contains("damaged"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliSessions)
#include "test_cli_sessions.moc"
