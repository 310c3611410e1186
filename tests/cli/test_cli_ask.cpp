// `glimpse-cli ask`, `chat` and `bench` with the default model, end to end (SpecKV drafting
// with the model itself reported as an oracle).

#include "test_support.h"

#include <QtGui/QGuiApplication>
#include <QtGui/QPainter>
#include <QtGui/QPdfWriter>
#include <QtTest/QtTest>

class TestCliAsk : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    using Result = test_support::CliResult;

    Result run(const QStringList& args, const QByteArray& input = {}) { return test_support::run_cli(args, input); }

    QString sample() const {
        return QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.md").string());
    }

    // The night-tours question about the sample, as eval --questions reads it; empty if it
    // cannot be written.
    QString questions_file() const {
        QFile questions(dir_.filePath("questions.json"));
        if (!questions.open(QIODevice::WriteOnly) ||
            questions.write(R"([{"q": "What is the entrance code for the night tours?", "a": ["PELICAN-47"]}])") < 0)
            return {};
        return questions.fileName();
    }

    // The lines of an eval run's results.csv (empty if it cannot be read).
    static QStringList results_lines(const QString& out) {
        QFile csv(out + "/results.csv");
        if (!csv.open(QIODevice::ReadOnly)) return {};
        return QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    }

private slots:
    void answers_a_fact_from_the_last_page_of_the_sample() {
        auto r = run({"ask", "--threads", "2", "--doc", sample(), "What is the entrance code for the night tours?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));
        QVERIFY2(r.err.contains(QRegularExpression("prompt \\d+ tokens, prefill [\\d.]+ tok/s")), qPrintable(r.err));
        QVERIFY(r.err.contains("peak RSS"));
    }

    void eviction_policies_report_the_kept_cache() {
        for (const char* policy : {"snapkv", "laq", "lookahead"}) {
            auto r = run({"ask", "--policy", policy, "--budget", "64", "--max-tokens", "8", "--doc", sample(),
                          "What is the entrance code?"});
            QCOMPARE(r.code, 0);
            auto m = QRegularExpression(QString("KV cache \\(%1, budget 64\\): kept ([\\d.]+) MiB of ([\\d.]+) MiB").arg(policy))
                         .match(r.err);
            QVERIFY2(m.hasMatch(), qPrintable(r.err));
            // 64 of ~980 tokens per head and layer are kept.
            QVERIFY(m.captured(1).toDouble() < m.captured(2).toDouble() * 0.1);
        }
        auto r = run({"ask", "--policy", "nonsense", "q"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("unknown eviction policy 'nonsense' (known: full, streaming, snapkv"), qPrintable(r.err));
    }

    void speckv_drafting_with_the_model_itself_is_reported_as_an_oracle() {
        // The default draft is the model itself: its full-cache greedy draft is the answer.
        auto r = run({"ask", "--threads", "2", "--policy", "speckv", "--budget", "64", "--max-tokens", "4", "--doc", sample(),
                      "What is the entrance code?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("KV cache (speckv (oracle: self-draft), budget 64): kept"), qPrintable(r.err));
        // So is the same model under another name, found by its fingerprint.
        const QString copy = dir_.filePath("renamed-draft.gguf");
        QVERIFY(QFile::copy(QString::fromStdString(test_support::default_model().string()), copy));
        r = run({"ask", "--threads", "2", "--policy", "speckv", "--draft-model", copy, "--draft-tokens", "2",
                 "--draft-reduction", "mean", "--budget", "64", "--max-tokens", "4", "--doc", sample(), "What is the entrance code?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("KV cache (speckv (oracle: self-draft), budget 64)"), qPrintable(r.err));
        // LAQ++ through the options; LAQ is never an oracle.
        r = run({"ask", "--threads", "2", "--policy", "laq", "--laq-stage2-window", "8", "--budget", "64", "--max-tokens", "4",
                 "--doc", sample(), "What is the entrance code?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("KV cache (laq, budget 64)"), qPrintable(r.err));
        r = run({"ask", "--draft-reduction", "median", "q"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("--draft-reduction"), qPrintable(r.err));
    }

    void lookahead_is_the_default_with_the_shipped_adapter() {
        // resources/lookahead/ ships an adapter for the default model. The default budget
        // keeps a document this short whole; a smaller one compresses it.
        auto r = run({"ask", "--threads", "2", "--max-tokens", "8", "--doc", sample(), "What is the entrance code?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains(QRegularExpression("KV cache \\(lookahead, budget 2048\\): kept ([\\d.]+) MiB of \\1 MiB \\(100.0%\\)")),
                 qPrintable(r.err));
        r = run({"ask", "--threads", "2", "--budget", "256", "--doc", sample(), "What is the entrance code for the night tours?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("KV cache (lookahead, budget 256)"), qPrintable(r.err));
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));   // the fact on the last page survives
        r = run({"ask", "--policy", "full", "--max-tokens", "4", "--doc", sample(), "What is the entrance code?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("KV cache (full)"), qPrintable(r.err));
        // A file that is not an adapter is refused before any work, naming it.
        r = run({"ask", "--policy", "lookahead", "--adapter", sample(), "--doc", sample(), "q"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("harbor-light-report.md"), qPrintable(r.err));
    }

    void reads_a_document_in_windows_and_says_so() {
        // 970 tokens in windows of 320; the fact is on the last page, in the window before the
        // question's end. With the default policy the code survives at budgets 128 to 288
        // (SnapKV's answers there change its last digit at some budgets, a small model's slip).
        auto r = run({"ask", "--threads", "2", "--budget", "160", "--read-window", "320", "--doc", sample(),
                      "What is the entrance code for the night tours?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains(QRegularExpression("KV cache \\(lookahead, budget 160, read in [34] windows\\)")), qPrintable(r.err));
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out));
        // A window that cannot fit with the budget and the answer is refused with the numbers.
        r = run({"ask", "--policy", "snapkv", "--budget", "7600", "--read-window", "500", "--max-tokens", "256", "--doc",
                 sample(), "q"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QRegularExpression("budget 7600 \\+ window 500 \\+ question \\d+ \\+ answer 256 = \\d+ tokens, "
                                                   "more than the model's context window of 8192")),
                 qPrintable(r.err));
    }

    void eval_on_a_document_scores_answer_nll() {
        const QString questions = questions_file();
        QVERIFY(!questions.isEmpty());
        const QString out = dir_.filePath("doc-eval");
        auto r = run({"eval", "--threads", "2", "--doc", sample(), "--questions", questions, "--policies",
                      "full,snapkv,truncate-last", "--budgets", "128", "--read-window", "320", "--response-tokens", "8",
                      "--settings", "question-aware", "--out", out});
        QCOMPARE(r.code, 0);
        const QStringList lines = results_lines(out);
        QVERIFY2(lines.size() == 4, qPrintable(lines.join('\n')));   // header, full, snapkv, truncate-last
        const QStringList header = lines[0].split(',');
        const auto column = header.indexOf("answer_nll");
        QVERIFY(column > 0);
        for (int i = 1; i < lines.size(); ++i) {
            const QStringList row = lines[i].split(',');
            bool ok = false;
            const double nll = row[column].toDouble(&ok);
            QVERIFY2(ok && nll > 0 && nll < 20, qPrintable(lines[i]));
        }
        QVERIFY(QFile::exists(out + "/summary.md"));
        r = run({"eval", "--doc", sample(), "--out", out});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("--doc and --questions go together"), qPrintable(r.err));
    }

    void eval_compares_adapters_on_the_same_prompts() {
        const QString questions = questions_file();
        QVERIFY(!questions.isEmpty());
        // The shipped adapter under another name: the same adapter must score the same.
        const QString copy = dir_.filePath("copy.lookahead.gguf");
        QVERIFY(QFile::copy(QString::fromStdString(
                                (test_support::source_dir() / "resources/lookahead/SmolLM2-135M-Instruct.Q4_1.lookahead.gguf").string()),
                            copy));
        const QString out = dir_.filePath("adapters-eval");
        auto r = run({"eval", "--threads", "2", "--doc", sample(), "--questions", questions, "--policies",
                      "lookahead", "--compare-adapters", copy, "--budgets", "64", "--response-tokens", "8", "--settings",
                      "question-aware", "--out", out});
        QCOMPARE(r.code, 0);
        const QStringList lines = results_lines(out);
        QVERIFY2(lines.size() == 4, qPrintable(lines.join('\n')));   // header, full, lookahead, lookahead@copy
        const QStringList header = lines[0].split(',');
        QMap<QString, QStringList> rows;
        for (int i = 1; i < lines.size(); ++i) rows[lines[i].section(',', 0, 0)] = lines[i].split(',');
        QVERIFY2(rows.contains("lookahead") && rows.contains("lookahead@copy"), qPrintable(lines.join('\n')));
        for (const char* metric : {"dnll", "answer_nll", "recall", "kept_bytes"}) {
            const auto column = header.indexOf(metric);
            QVERIFY(column > 0);
            QVERIFY2(!rows["lookahead"][column].isEmpty(), metric);
            QCOMPARE(rows["lookahead@copy"][column], rows["lookahead"][column]);
        }
        // Without lookahead among the policies there is nothing to compare; a file that is not
        // an adapter is refused with the reason.
        r = run({"eval", "--doc", sample(), "--questions", questions, "--policies", "snapkv",
                 "--compare-adapters", copy, "--out", out});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("add lookahead to --policies"), qPrintable(r.err));
        r = run({"eval", "--doc", sample(), "--questions", questions, "--policies", "lookahead",
                 "--compare-adapters", sample(), "--out", out});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("harbor-light-report.md"), qPrintable(r.err));

        // A model without an adapter of its own (an empty data folder, the model copied apart)
        // still compares the given adapters, with the default policies and with lookahead named.
        QTemporaryDir apart;
        const QString model = QDir(apart.path()).filePath("model.gguf");
        QVERIFY(QFile::copy(QString::fromStdString(test_support::default_model().string()), model));
        QVERIFY(QDir(apart.path()).mkdir("data"));
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("GLIMPSE_DATA_DIR", QDir(apart.path()).filePath("data"));
        for (const QStringList& policies : {QStringList{}, QStringList{"--policies", "snapkv,lookahead"}}) {
            const QString apart_out = QDir(apart.path()).filePath("out");
            r = test_support::run_cli(QStringList{"eval", "--threads", "2", "--model", model, "--doc", sample(), "--questions",
                                                  questions, "--compare-adapters", copy, "--budgets", "64",
                                                  "--response-tokens", "4", "--settings", "question-aware", "--out",
                                                  apart_out} + policies,
                                      {}, env);
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QVERIFY2(r.err.contains("the --compare-adapters ones run"), qPrintable(r.err));
            QStringList labels;
            for (const QString& line : results_lines(apart_out).mid(1)) labels << line.section(',', 0, 0);
            QVERIFY2(labels.contains("lookahead@copy") && !labels.contains("lookahead"), qPrintable(labels.join(' ')));
        }
    }

    void answers_from_a_pdf() {
        // The sample report, one section per PDF page.
        QFile md(sample());
        QVERIFY(md.open(QIODevice::ReadOnly));
        const QStringList sections = QString::fromUtf8(md.readAll()).split("\n## ");
        QString pdf = dir_.filePath("report.pdf");
        {
            QPdfWriter writer(pdf);
            writer.setTitle("The Harbor Light of Vessel Point");
            QPainter painter(&writer);
            painter.setFont(QFont("DejaVu Sans", 11));
            for (int i = 0; i < sections.size(); ++i) {
                if (i > 0) writer.newPage();
                QString text = sections[i];
                text.replace(QRegularExpression("([^\\n])\\n(?!\\n)"), "\\1 ");   // unwrap the lines
                painter.drawText(QRect(0, 0, writer.width(), writer.height()), Qt::TextWordWrap, text);
            }
        }
        auto r = run({"ask", "--doc", pdf, "What is the entrance code for the night tours?"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("PELICAN-47"), qPrintable(r.out + r.err));
    }

    void a_document_longer_than_the_context_needs_a_budget() {
        QString path = dir_.filePath("long.txt");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 1000; ++i) f.write("The quick brown fox jumps over the lazy dog near the river bank. ");
        f.close();
        // Past the window a prompt is read in windows, which the full cache cannot do.
        auto r = run({"ask", "--policy", "full", "--doc", path, "What does the fox do?"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QRegularExpression("the prompt is \\d+ tokens long and the model's context window holds 8192 "
                                                   "tokens \\(256 kept for the answer\\); the full cache cannot read it in windows")),
                 qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
    }

    void bad_arguments_fail_with_usage() {
        QVERIFY(run({"ask"}).code != 0);                                        // no question
        QVERIFY(run({"ask", "--doc", dir_.filePath("missing.txt"), "q"}).code != 0);
        auto r = run({"ask", "--model", sample(), "q"});                         // not a GGUF file
        QVERIFY(r.code != 0);
        QVERIFY(r.err.contains("not a GGUF file"));
    }

    void chat_appends_later_turns_instead_of_rereading() {
        auto r = run({"chat", "--threads", "2", "--max-tokens", "48", "--doc", sample()},
                     "Who designed the tower?\nWhen was the light automated?\n");
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("Elwin"), qPrintable(r.out));
        QVERIFY2(r.out.contains("1987"), qPrintable(r.out));
        auto prompts = QRegularExpression("prompt (\\d+) tokens").globalMatch(r.err);
        QList<int> sizes;
        while (prompts.hasNext()) sizes << prompts.next().captured(1).toInt();
        QCOMPARE(sizes.size(), 2);
        QVERIFY(sizes[0] > 500);     // the document
        QVERIFY(sizes[1] < 50);      // only the new question
    }

    void ingest_counts_prompt_tokens_for_the_model() {
        auto r = run({"ingest", sample()});
        QCOMPARE(r.code, 0);
        auto m = QRegularExpression("tokens:\\s+(\\d+) \\(SmolLM2-135M-Instruct.Q4_1.gguf\\)").match(r.out);
        QVERIFY2(m.hasMatch(), qPrintable(r.out));
        QVERIFY(m.captured(1).toInt() > 800 && m.captured(1).toInt() < 1100);   // the ask prompt is ~970
        QVERIFY(r.out.contains(QRegularExpression("pages:\\s+2\\n")));   // logical pages of ~3,000 characters
    }

    void bench_prints_json() {
        auto r = run({"bench", "--prompt-tokens", "32,64", "--gen-tokens", "4", "--runs", "1", "--threads", "2", "--json"});
        QCOMPARE(r.code, 0);
        auto doc = QJsonDocument::fromJson(r.out.toUtf8());
        QVERIFY2(doc.isObject(), qPrintable(r.out));
        auto rows = doc.object()["rows"].toArray();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[1].toObject()["prompt_tokens"].toInt(), 64);
        QVERIFY(rows[0].toObject()["prefill_tok_s_median"].toDouble() > 0);
        QVERIFY(rows[0].toObject()["decode_tok_s_median"].toDouble() > 0);
        QVERIFY(rows[0].toObject()["peak_rss_mib"].toDouble() > 50);
    }

    void bench_reports_the_eviction_share_per_policy() {
        auto r = run({"bench", "--prompt-tokens", "96", "--gen-tokens", "2", "--runs", "1", "--threads", "2",
                      "--policies", "full,snapkv,lookahead", "--budget", "48", "--json"});
        QCOMPARE(r.code, 0);
        const auto rows = QJsonDocument::fromJson(r.out.toUtf8()).object()["rows"].toArray();
        QCOMPARE(rows.size(), 3);
        auto share = [&](int i, const char* key) { return rows[i].toObject()[key].toArray()[0].toDouble(); };
        QCOMPARE(rows[0].toObject()["policy"].toString(), QString("full"));
        QVERIFY(share(0, "evict_share") < 0.01);   // keeping everything costs next to nothing
        QCOMPARE(rows[1].toObject()["policy"].toString(), QString("snapkv"));
        QVERIFY(share(1, "evict_share") > 0.0 && share(1, "evict_share") < 1.0);
        QCOMPARE(share(1, "rows_share"), 0.0);
        QCOMPARE(rows[2].toObject()["policy"].toString(), QString("lookahead"));
        QVERIFY(share(2, "rows_share") > 0.0 && share(2, "rows_share") <= share(2, "evict_share"));
        // The evicting policies keep 48 of 96 tokens: half the full cache's K and V.
        QVERIFY(share(0, "first_token_s") > 0.0);
        QCOMPARE(rows[1].toObject()["kv_mib"].toDouble() * 2, rows[0].toObject()["kv_mib"].toDouble());
        QVERIFY(run({"bench", "--policies", "no-such-policy", "--runs", "1"}).code != 0);
    }

    void bench_says_how_the_llamacpp_peer_died() {
        // An interpreter that imports llama_cpp but dies on an illegal instruction once it
        // runs, as a llama.cpp built for AVX-512 does on a CPU without it.
        const QString python = dir_.filePath("sigill-python");
        QFile script(python);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\n[ \"$1\" = -c ] && exit 0\nkill -ILL $$\n");
        script.close();
        QVERIFY(script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        auto r = run({"bench", "--prompt-tokens", "32", "--gen-tokens", "1", "--runs", "1", "--threads", "2",
                      "--compare-llamacpp", "--llamacpp-python", python});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("was killed by signal 4 (Illegal instruction)"), qPrintable(r.err));
        QVERIFY2(r.err.contains("rebuild it as the README"), qPrintable(r.err));
    }
};

QTEST_MAIN(TestCliAsk)
#include "test_cli_ask.moc"
