// `glimpse-cli bench --document`: every configuration measured in its own process on a real
// document prompt, with llama.cpp beside it when the chosen Python has llama-cpp-python.
// Timings are noisy, so only that they were measured is checked, never how fast.

#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

class TestCliBenchDocument : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    // About 800 tokens of text in paragraphs: more than the 512 tokens lookahead keeps.
    QString write_document() {
        const QString path = dir_.filePath("harbour-log.txt");
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
        const char* ships[] = {"Albatross", "Bittern", "Cormorant", "Dunlin", "Eider", "Fulmar"};
        for (int day = 1; day <= 16; ++day) {
            f.write(QString("On day %1 the keeper logged the %2 entering the harbour at %3:%4, with %5 crew and a cargo of "
                            "%6 crates; the wind stood at force %7.\n\n")
                        .arg(day).arg(ships[day % 6]).arg(6 + day % 12).arg(day % 6 * 10, 2, 10, QChar('0'))
                        .arg(4 + day % 9).arg(day * 17 % 300).arg(1 + day % 7)
                        .toUtf8());
        }
        return path;
    }

    static QString python() {
        const QByteArray chosen = qgetenv("GLIMPSE_LLAMACPP_PYTHON");
        return chosen.isEmpty() ? QString("python3") : QString::fromLocal8Bit(chosen);
    }

    static double number(const QJsonObject& o, const char* key) { return o[key].toDouble(); }

private slots:
    void measures_each_configuration_on_a_file() {
        auto r = test_support::run_cli({"bench", "--document", write_document(), "--policies", "full,lookahead", "--budgets",
                                        "512", "--runs", "1", "--gen-tokens", "4", "--threads", "2", "--json",
                                        "--compare-llamacpp", "--llamacpp-python", python()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject report = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY2(!report.isEmpty(), qPrintable(r.out));
        const int prompt_tokens = report["prompt_tokens"].toInt();
        QVERIFY2(prompt_tokens > 600 && prompt_tokens < 1500, qPrintable(r.out));
        QVERIFY(report["document_tokens"].toInt() < prompt_tokens);
        QCOMPARE(report["kv_type"].toString(), QString("f16"));   // the app's default

        const QJsonArray rows = report["configurations"].toArray();
        QCOMPARE(rows.size(), 2);
        const QJsonObject full = rows[0].toObject(), lookahead = rows[1].toObject();
        QCOMPARE(full["policy"].toString(), QString("full"));
        QCOMPARE(full["budget"].toInt(), 0);
        QCOMPARE(lookahead["policy"].toString(), QString("lookahead"));
        QCOMPARE(lookahead["budget"].toInt(), 512);
        for (const QJsonObject& row : {full, lookahead}) {
            QVERIFY2(!row.contains("error"), qPrintable(row["error"].toString()));
            QCOMPARE(row["read_tokens"].toInt(), prompt_tokens);   // the prompt built here is the one read
            QCOMPARE(row["windows"].toInt(), 1);
            for (const char* key : {"first_token_s_median", "prefill_tok_s_median", "decode_tok_s_median", "kv_bytes",
                                    "peak_rss_bytes"})
                QVERIFY2(number(row, key) > 0, key);
            QVERIFY(number(row, "peak_rss_mib") > 50);
            QVERIFY(number(row, "answer_tokens_median") >= 1 && number(row, "answer_tokens_median") <= 4);
            QCOMPARE(row["first_token_s"].toArray().size(), 1);   // --runs 1
            // The first token comes after the whole prompt was read.
            QVERIFY(number(row, "first_token_s_median") > prompt_tokens / number(row, "prefill_tok_s_median") * 0.9);
        }
        QVERIFY(number(full, "evict_share_median") < 0.01);   // keeping everything costs next to nothing
        QVERIFY(number(lookahead, "rows_share_median") > 0.0);
        QVERIFY(number(lookahead, "rows_share_median") <= number(lookahead, "evict_share_median"));
        // 512 of the prompt's tokens per KV head and layer, against all of them.
        QCOMPARE(number(full, "kv_bytes"), number(full, "full_kv_bytes"));
        QVERIFY(number(lookahead, "kv_bytes") < number(full, "kv_bytes"));
        QCOMPARE(number(lookahead, "kv_bytes") / number(full, "kv_bytes"), 512.0 / prompt_tokens);

        const QJsonObject peer = report["llamacpp"].toObject();
        if (peer.contains("skipped")) {
            const QString why = peer["skipped"].toString();
            QVERIFY2(why.contains("cannot import llama_cpp") || why.contains("cannot be run"), qPrintable(why));
            QVERIFY2(r.err.contains("llama.cpp comparison skipped: " + python()), qPrintable(r.err));
            QCOMPARE(report["ratios"].toArray().size(), 0);
            qInfo("llama.cpp part skipped (set GLIMPSE_LLAMACPP_PYTHON to a Python that has llama-cpp-python): %s",
                  qPrintable(why));
            return;
        }
        QVERIFY2(!peer.contains("error"), qPrintable(peer["error"].toString()));
        QVERIFY(peer["engine"].toString().startsWith("llama-cpp-python"));
        QCOMPARE(peer["prompt_tokens"].toInt(), prompt_tokens);
        QVERIFY(peer["same_tokens"].toBool());   // llama.cpp's own tokenizer agrees on the prompt
        for (const char* key : {"first_token_s_median", "prefill_tok_s_median", "decode_tok_s_median", "kv_bytes",
                                "peak_rss_bytes"})
            QVERIFY2(number(peer, key) > 0, key);
        const QJsonArray ratios = report["ratios"].toArray();
        QCOMPARE(ratios.size(), 2);
        for (const auto& ratio : ratios) {
            QVERIFY(number(ratio.toObject(), "prefill") > 0);
            QVERIFY(number(ratio.toObject(), "decode") > 0);
            QVERIFY(ratio.toObject().contains("peak_rss_difference_mib"));
        }
        // Both keep K and V in f16 by default: the full caches are the same size.
        QCOMPARE(number(ratios[0].toObject(), "kv"), 1.0);
    }

    void fills_a_generated_document_and_prints_a_table() {
        // Without FILE: a document of handbook prose, fitted to --prompt-tokens with the question.
        auto r = test_support::run_cli({"bench", "--document", "--prompt-tokens", "300", "--policies", "full", "--runs",
                                        "1", "--gen-tokens", "2", "--threads", "2", "--kv-type", "q8_0",
                                        "--compare-llamacpp", "--llamacpp-python", dir_.filePath("no-such-python")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto header = QRegularExpression("prompt (\\d+) tokens").match(r.out);
        QVERIFY2(header.hasMatch(), qPrintable(r.out));
        QVERIFY(header.captured(1).toInt() <= 300 && header.captured(1).toInt() > 280);
        const auto row = QRegularExpression("\\| glimpse \\| full \\| - \\| 1 \\| ([\\d.]+) \\| ([\\d.]+) \\|").match(r.out);
        QVERIFY2(row.hasMatch(), qPrintable(r.out));
        QVERIFY(row.captured(1).toDouble() > 0 && row.captured(2).toDouble() > 0);
        QVERIFY2(r.out.contains("glimpse's in q8_0"), qPrintable(r.out));   // --kv-type reached the measuring process
        // A missing interpreter skips the comparison and says which and why.
        QVERIFY2(r.out.contains("llama.cpp: skipped: " + dir_.filePath("no-such-python") + " cannot be run"), qPrintable(r.out));
        QVERIFY(!r.out.contains("ratio glimpse"));
    }

    void refuses_what_does_not_go_together() {
        auto r = test_support::run_cli({"bench", "--document", write_document(), "--prompt-tokens", "300"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("a FILE has its own length"), qPrintable(r.err));
        r = test_support::run_cli({"bench", "--budgets", "512"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("--budgets is for bench --document"), qPrintable(r.err));
        r = test_support::run_cli({"bench", "--document", "--policies", "no-such-policy"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("unknown eviction policy 'no-such-policy'"), qPrintable(r.err));
    }
};

QTEST_MAIN(TestCliBenchDocument)
#include "test_cli_bench_document.moc"
