// `glimpse-cli inspect` and `tokenize` on the default model print what the model is.

#include "test_support.h"

#include <QtTest/QtTest>

class TestCliInspect : public QObject {
    Q_OBJECT

    QString run(const QStringList& args, int* exit_code = nullptr) {
        QProcess p;
        p.start(QString::fromStdString(test_support::cli_path().string()), args);
        if (!p.waitForFinished(60000)) return "timeout";
        if (exit_code) *exit_code = p.exitCode();
        return QString::fromUtf8(p.readAllStandardOutput());
    }

private slots:
    void inspect_describes_the_default_model() {
        int code = -1;
        QString out = run({"inspect", QString::fromStdString(test_support::default_model().string())}, &code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(QRegularExpression("architecture:\\s+llama\\n")), qPrintable(out));
        QVERIFY(out.contains(QRegularExpression("layers:\\s+30\\n")));
        QVERIFY(out.contains(QRegularExpression("heads:\\s+9\\n")));
        QVERIFY(out.contains(QRegularExpression("kv heads:\\s+3\\n")));
        QVERIFY(out.contains(QRegularExpression("head dim:\\s+64\\n")));
        QVERIFY(out.contains(QRegularExpression("context length:\\s+8192\\n")));
        QVERIFY(out.contains(QRegularExpression("vocabulary:\\s+49152\\n")));
        QVERIFY(out.contains(QRegularExpression("template family:\\s+chatml\\n")));
        QVERIFY(out.contains(QRegularExpression("parameters:\\s+134\\.5 M\\n")));
        QVERIFY(out.contains("Q4_1 x210"));
        // 30 layers * 3 KV heads * 64 dims * (K and V) * 4 bytes * 1024 tokens = 45 MiB; f16
        // half; q8_0 34 bytes per 32 values.
        QVERIFY(out.contains("KV cache per 1K tokens (full cache): 45.0 MiB f32, 22.5 MiB f16, 12.0 MiB q8_0"));
    }

    void inspect_lists_devices_or_says_why_there_are_none() {
        int code = -1;
        QString out = run({"inspect", "--devices"}, &code);
        QCOMPARE(code, 0);
        QVERIFY2(out.contains(QRegularExpression("CPU: \\d+ hardware threads\n")), qPrintable(out));
        QVERIFY2(out.contains(QRegularExpression("GPU 0: .+, compute \\d+\\.\\d+")) || out.contains("GPUs: none ("),
                 qPrintable(out));
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("GLIMPSE_CUDA_PLUGIN", "/nonexistent/libglimpse_cuda.so");
        p.setProcessEnvironment(env);
        p.start(QString::fromStdString(test_support::cli_path().string()), {"inspect", "--devices"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains("GPUs: none (the CUDA plugin is not installed"), qPrintable(out));
    }

    void inspect_takes_a_template_override() {
        int code = -1;
        QString out = run({"inspect", "--chat-template", "llama3"}, &code);
        QCOMPARE(code, 0);
        QVERIFY(out.contains(QRegularExpression("template family:\\s+llama3 \\(override\\)\\n")));
        run({"inspect", "--chat-template", "nonsense"}, &code);
        QVERIFY(code != 0);
    }

    void tokenize_prints_ids_and_pieces() {
        int code = -1;
        QString out = run({"tokenize", "--ids", "Hello world"}, &code);
        QCOMPARE(code, 0);
        QCOMPARE(out, QString("19556 905\n"));
        out = run({"tokenize", "Hello <|im_start|>"}, &code);
        QVERIFY(out.contains("     1  '<|im_start|>'"));
        QVERIFY(out.contains("3 tokens"));
        out = run({"tokenize", "--no-special", "--ids", "<|im_start|>"}, &code);
        QVERIFY(out.trimmed().split(' ').size() > 1);
        run({"tokenize"}, &code);   // TEXT is required
        QVERIFY(code != 0);
    }
};

QTEST_GUILESS_MAIN(TestCliInspect)
#include "test_cli_inspect.moc"
