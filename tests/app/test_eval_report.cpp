// Evaluation reports: CSV quoting and columns (answer quality first, held-out families
// marked), the Markdown tables of means with 95% CIs (overall, per task family, held out
// against the rest, the self-draft oracle labelled),
// the PNG plots (size, drawn content inside the plot area, one file per measured metric),
// and the progress line.

#include "app/eval/csv_report.h"
#include "app/eval/markdown_report.h"
#include "app/eval/metric_plot.h"
#include "app/eval/progress_bar.h"
#include "engine/error.h"

#include <QtTest/QtTest>
#include <QImage>
#include <QTemporaryDir>

#include <cmath>
#include <cstdio>

using glimpse::eval::EvalMetric;
using glimpse::eval::EvalRecord;

namespace {

EvalRecord record(QString policy, int64_t budget, double recall, double correct, QString task = "niah_single") {
    EvalRecord r;
    r.policy = policy.toStdString();
    r.budget = budget;
    r.setting = "cpu";
    r.task = task.toStdString();
    r.length = 4096;
    r.recall = recall;
    r.correct = correct;
    r.dnll = 0.5 - recall / 2;
    r.evict_ms = 12.5;
    r.prefill_ms = 1000 + budget;
    r.kept_bytes = static_cast<double>(budget) * 4096;
    r.rows_ms = 2.5;
    r.scoring_ms = 10.0;
    return r;
}

// Parses one CSV line per RFC 4180 (enough for the test: quoted fields, doubled quotes).
QStringList parseCsvRecord(const QString& text, qsizetype& at) {
    QStringList fields;
    QString field;
    bool quoted = false;
    for (; at < text.size(); ++at) {
        const QChar c = text[at];
        if (quoted) {
            if (c == '"' && at + 1 < text.size() && text[at + 1] == '"') field += '"', ++at;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields << field;
            field.clear();
        } else if (c == '\n') {
            ++at;
            break;
        } else {
            field += c;
        }
    }
    fields << field;
    return fields;
}

std::vector<EvalRecord> sweep() {
    std::vector<EvalRecord> records;
    const double base[] = {0.55, 0.7, 0.82, 0.9};
    const int64_t budgets[] = {128, 256, 512, 1024};
    for (int b = 0; b < 4; ++b)
        for (int i = 0; i < 5; ++i) {
            records.push_back(record("snapkv", budgets[b], base[b] + 0.02 * i, i % 2));
            records.push_back(record("h2o", budgets[b], base[b] - 0.15 + 0.03 * i, (i + 1) % 2));
        }
    for (int i = 0; i < 3; ++i) records.push_back(record("full", 0, 1.0, 1));
    return records;
}

}  // namespace

class EvalReport : public QObject {
    Q_OBJECT

private slots:
    void csv_fields_are_quoted_when_needed() {
        using glimpse::eval::csvField;
        QCOMPARE(csvField("plain"), QString("plain"));
        QCOMPARE(csvField("a,b"), QString("\"a,b\""));
        QCOMPARE(csvField("say \"hi\""), QString("\"say \"\"hi\"\"\""));
        QCOMPARE(csvField("two\nlines"), QString("\"two\nlines\""));
        QCOMPARE(csvField(" padded"), QString("\" padded\""));
        QCOMPARE(csvField(""), QString(""));
    }

    void csv_has_the_columns_and_round_trips_awkward_names() {
        std::vector<EvalRecord> records{record("snap,kv \"v2\"", 256, 0.75, 1),
                                        record("h2o", 512, 0.5, EvalRecord::kMissing, "qa_fact"),
                                        record("h2o", 512, 0.5, 0, "document")};
        records[1].setting = "multi\nline";
        const QString csv = glimpse::eval::recordsCsv(records);
        qsizetype at = 0;
        const QStringList header = parseCsvRecord(csv, at);
        QCOMPARE(header, QStringList({"policy", "budget", "setting", "task", "held_out", "length", "dnll", "correct",
                                      "answer_nll", "recall", "evict_ms", "prefill_ms", "kept_bytes", "rows_ms",
                                      "scoring_ms"}));
        const QStringList first = parseCsvRecord(csv, at);
        QCOMPARE(first.size(), 15);
        QCOMPARE(first[0], QString("snap,kv \"v2\""));
        QCOMPARE(first[1], QString("256"));
        QCOMPARE(first[4], QString("no"));     // niah_single is trained on
        QCOMPARE(first[6].toDouble(), 0.125);  // dnll first
        QCOMPARE(first[7], QString("1"));      // correct
        QCOMPARE(first[8], QString(""));       // answer_nll: not measured here
        QCOMPARE(first[9].toDouble(), 0.75);   // recall after them
        QCOMPARE(first[12], QString("1048576"));
        QCOMPARE(first[13].toDouble(), 2.5);   // rows_ms
        QCOMPARE(first[14].toDouble(), 10.0);  // scoring_ms
        const QStringList second = parseCsvRecord(csv, at);
        QCOMPARE(second[2], QString("multi\nline"));
        QCOMPARE(second[4], QString("yes"));   // qa_fact is held out
        QCOMPARE(second[7], QString(""));      // missing metric
        const QStringList third = parseCsvRecord(csv, at);
        QCOMPARE(third[3], QString("document"));
        QCOMPARE(third[4], QString(""));       // not a generated family
        QCOMPARE(at, csv.size());

        QTemporaryDir dir;
        const QString path = dir.filePath("runs.csv");
        glimpse::eval::writeRecordsCsv(path, records);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(file.readAll()), csv);
        QVERIFY_THROWS_EXCEPTION(engine::Error, glimpse::eval::writeRecordsCsv(dir.filePath("no/such/dir/x.csv"), records));
    }

    void markdown_table_shows_means_and_intervals() {
        std::vector<EvalRecord> records{record("snapkv", 256, 0.8, 1), record("snapkv", 256, 0.6, 0),
                                        record("snapkv", 256, 0.7, 1, "qa_fact"), record("h2o|x", 128, 0.5, 1)};
        const QString table = glimpse::eval::markdownSummaryTable(records);
        const QStringList lines = table.trimmed().split('\n');
        QCOMPARE(lines.size(), 4);  // header, separator, two groups
        // Answer quality first, attention recall after it, then the costs.
        QVERIFY(lines[0].startsWith("| policy | budget | setting | n | dnll | correct | answer_nll | recall | evict_ms |"));
        QVERIFY(lines[1].startsWith("|---|---|---|---:|"));
        // h2o|x sorts first; its one record has no interval.
        QVERIFY2(lines[2].startsWith("| h2o\\|x | 128 | cpu | 1 | 0.250 | 1.000 | – | 0.500 |"), qPrintable(lines[2]));
        // dnll {0.1, 0.2, 0.15}: mean 0.15, s 0.05, half width 4.302653 * 0.05 / sqrt(3) = 0.124.
        // correct {1, 0, 1}: mean 0.667, s 0.57735, half width 4.302653 * 0.57735 / sqrt(3) = 1.434.
        // answer_nll is not measured here; recall {0.8, 0.6, 0.7}: 0.700 ± 0.248.
        QVERIFY2(lines[3].startsWith("| snapkv | 256 | cpu | 3 | 0.150 ± 0.124 | 0.667 ± 1.434 | – | 0.700 ± 0.248 |"),
                 qPrintable(lines[3]));
        QVERIFY2(lines[3].endsWith("| 12.5 ± 0.0 | 1256 ± 0 | 1048576 ± 0 | 2.500 ± 0.000 | 10.0 ± 0.0 |"),
                 qPrintable(lines[3]));
    }

    void family_table_marks_held_out_families_and_lists_them_last() {
        std::vector<EvalRecord> records{record("snapkv", 256, 0.8, 1, "niah_single"),
                                        record("snapkv", 256, 0.6, 0, "niah_single"),
                                        record("snapkv", 256, 0.4, 0, "qa_fact"),
                                        record("snapkv", 256, 0.9, 1, "niah_multivalue"),
                                        record("snapkv", 128, 0.5, 1, "variable_tracking"),
                                        record("full", 0, 1.0, 1, "qa_fact"),
                                        record("snapkv", 256, 0.7, 1, "document")};
        const QStringList lines = glimpse::eval::markdownFamilyTable(records).trimmed().split('\n');
        QCOMPARE(lines.size(), 2 + 6);
        QCOMPARE(lines[0], QString("| family | held out | policy | budget | setting | n | dnll | correct | answer_nll | recall |"));
        QCOMPARE(lines[1], QString("|---|---|---|---|---|---:|---:|---:|---:|---:|"));
        // The families training prompts come from, then the held-out ones (niah_multivalue, qa_fact).
        QVERIFY2(lines[2].startsWith("| document | – | snapkv | 256 | cpu | 1 |"), qPrintable(lines[2]));
        QVERIFY2(lines[3].startsWith("| niah_single | no | snapkv | 256 | cpu | 2 | 0.150 ± "), qPrintable(lines[3]));
        QVERIFY2(lines[4].startsWith("| variable_tracking | no | snapkv | 128 | cpu | 1 | 0.250 | 1.000 | – | 0.500 |"),
                 qPrintable(lines[4]));
        QVERIFY2(lines[5].startsWith("| niah_multivalue | yes | snapkv | 256 | cpu | 1 | 0.050 | 1.000 | – | 0.900 |"),
                 qPrintable(lines[5]));
        QVERIFY2(lines[6].startsWith("| qa_fact | yes | full | 0 | cpu | 1 |"), qPrintable(lines[6]));
        QVERIFY2(lines[7].startsWith("| qa_fact | yes | snapkv | 256 | cpu | 1 | 0.300 | 0.000 | – | 0.400 |"),
                 qPrintable(lines[7]));

        // The held-out families together against the rest; documents belong to neither.
        const QStringList sides = glimpse::eval::markdownHeldOutTable(records).trimmed().split('\n');
        QCOMPARE(sides[0], QString("| families | policy | budget | setting | n | dnll | correct | answer_nll | recall |"));
        QCOMPARE(sides.size(), 2 + 4);
        QVERIFY2(sides[2].startsWith("| trained on | snapkv | 128 | cpu | 1 |"), qPrintable(sides[2]));
        QVERIFY2(sides[3].startsWith("| trained on | snapkv | 256 | cpu | 2 |"), qPrintable(sides[3]));
        QVERIFY2(sides[4].startsWith("| held out | full | 0 | cpu | 1 |"), qPrintable(sides[4]));
        // qa_fact 0.4 and niah_multivalue 0.9: recall 0.650 over the two.
        QVERIFY2(sides[5].startsWith("| held out | snapkv | 256 | cpu | 2 |") && sides[5].endsWith("| 0.650 ± 3.177 |"),
                 qPrintable(sides[5]));
        // Without a held-out family there is nothing to set apart.
        const std::vector<EvalRecord> seen{record("snapkv", 256, 0.8, 1, "niah_single")};
        QVERIFY(glimpse::eval::markdownHeldOutTable(seen).isEmpty());
    }

    void summary_labels_the_self_draft_oracle_and_names_the_held_out_families() {
        std::vector<EvalRecord> records{record("speckv (oracle: self-draft)", 256, 0.95, 1, "qa_fact"),
                                        record("speckv", 256, 0.8, 1, "qa_fact"), record("snapkv", 256, 0.7, 1)};
        const QString summary = glimpse::eval::markdownSummary(records);
        QVERIFY(summary.startsWith("## All tasks\n\n| policy | budget | setting | n | dnll |"));
        QVERIFY(summary.contains("\n| speckv (oracle: self-draft) | 256 | cpu | 1 |"));
        QVERIFY(summary.contains("speckv (oracle: self-draft) is SpecKV drafting with the evaluated model itself"));
        QVERIFY(summary.contains("oracle upper bound, not a competitor"));
        QVERIFY(summary.contains("## By task family\n\nHeld out of LookaheadKV training (make-data never generates them): "
                                 "niah_multivalue, qa_fact."));
        QVERIFY(summary.contains("| qa_fact | yes | speckv (oracle: self-draft) | 256 |"));
        QVERIFY(summary.contains("## Held-out families against the trained-on ones"));
        // A SpecKV run with another draft model is a plain competitor: no oracle note.
        records.erase(records.begin());
        const QString plain = glimpse::eval::markdownSummary(records);
        QVERIFY(!plain.contains("oracle"));
        QVERIFY(plain.contains("| speckv | 256 | cpu | 1 |"));
    }

    void plot_has_the_size_and_draws_inside_the_plot_area() {
        const auto records = sweep();
        glimpse::eval::MetricPlotOptions options;
        options.size = QSize(800, 500);
        const QImage image = glimpse::eval::plotMetricVsBudget(records, EvalMetric::Recall, options);
        QCOMPARE(image.size(), QSize(800, 500));
        // The plot area (left 90, top 60) holds coloured series pixels, not only white,
        // grey grid and black axes.
        int coloured = 0, nonWhite = 0;
        for (int y = 70; y < 420; ++y)
            for (int x = 100; x < 560; ++x) {
                const QColor c = image.pixelColor(x, y);
                if (c != QColor(Qt::white)) ++nonWhite;
                if (std::abs(c.red() - c.green()) > 40 || std::abs(c.green() - c.blue()) > 40) ++coloured;
            }
        QVERIFY2(coloured > 500, qPrintable(QString::number(coloured)));
        QVERIFY(nonWhite < 350 * 460 / 2);  // mostly background
        // The corner stays background and the title row has text.
        QCOMPARE(image.pixelColor(2, 2), QColor(Qt::white));
        int titleInk = 0;
        for (int y = 10; y < 50; ++y)
            for (int x = 0; x < 800; ++x) titleInk += image.pixelColor(x, y).lightness() < 128;
        QVERIFY(titleInk > 50);
        // Both policies' colours (palette blue and orange) appear.
        bool blue = false, orange = false;
        for (int y = 60; y < 430 && !(blue && orange); ++y)
            for (int x = 90; x < 800; ++x) {
                const QColor c = image.pixelColor(x, y);
                blue |= c.blue() > 150 && c.red() < 80;
                orange |= c.red() > 220 && c.green() > 100 && c.green() < 160 && c.blue() < 60;
            }
        QVERIFY(blue);
        QVERIFY(orange);
    }

    void plots_are_written_one_png_per_measured_metric() {
        auto records = sweep();
        for (auto& r : records) r.evict_ms = EvalRecord::kMissing;  // not measured: no plot
        QTemporaryDir dir;
        const QStringList paths = glimpse::eval::writeMetricPlots(records, dir.filePath("plots"));
        QCOMPARE(paths.size(), 7);
        QVERIFY(!QFile::exists(dir.filePath("plots/evict_ms.png")));
        for (const QString& path : paths) {
            QImage image;
            QVERIFY2(image.load(path, "PNG"), qPrintable(path));
            QCOMPARE(image.size(), QSize(960, 640));
        }
        QVERIFY(paths.contains(dir.filePath("plots/recall.png")));
        std::vector<EvalRecord> nothing;
        QVERIFY_THROWS_EXCEPTION(engine::Error, glimpse::eval::plotMetricVsBudget(nothing, EvalMetric::Recall));
    }

    void progress_line_shows_counts_percent_and_eta() {
        using glimpse::eval::ProgressBar;
        QCOMPARE(ProgressBar::formatDuration(42), QString("42s"));
        QCOMPARE(ProgressBar::formatDuration(187), QString("3m07s"));
        QCOMPARE(ProgressBar::formatDuration(7500), QString("2h05m"));
        const QString line = ProgressBar::formatLine("eval", 25, 100, 50.0, 20);
        QCOMPARE(line, QString("eval [#####---------------]  25/100  25%  50s elapsed  ETA 2m30s"));
        QVERIFY(ProgressBar::formatLine("eval", 0, 10, 1.0, 10).endsWith("ETA ?"));
        QVERIFY(ProgressBar::formatLine("eval", 10, 10, 1.0, 10).contains("[##########] 10/10 100%"));
    }

    void progress_to_a_file_prints_plain_lines() {
        FILE* stream = std::tmpfile();
        QVERIFY(stream);
        {
            glimpse::eval::ProgressBar bar("run", 20, stream);
            QVERIFY(!bar.isInteractive());
            for (int i = 1; i <= 20; ++i) bar.update(i);
            bar.finish();
        }
        std::rewind(stream);
        QByteArray text;
        char buffer[4096];
        for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, stream)) > 0;) text.append(buffer, n);
        std::fclose(stream);
        QVERIFY(!text.contains('\r'));
        const QList<QByteArray> lines = text.trimmed().split('\n');
        QCOMPARE(lines.size(), 11);  // the first update, then one per 10% step
        QVERIFY(lines.first().contains(" 1/20   5%"));
        QVERIFY(lines.last().contains("20/20 100%"));
        QVERIFY(lines.last().contains("done"));
    }

    void progress_on_a_terminal_rewrites_one_line() {
        FILE* stream = std::tmpfile();
        QVERIFY(stream);
        {
            glimpse::eval::ProgressBar bar("run", 3, stream);
            bar.setInteractive(true);
            bar.update(1);
            bar.update(3);
            bar.finish();
            bar.finish();  // a second finish adds nothing
        }
        std::rewind(stream);
        QByteArray text;
        char buffer[4096];
        for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, stream)) > 0;) text.append(buffer, n);
        std::fclose(stream);
        QVERIFY(text.startsWith("\rrun ["));
        QCOMPARE(text.count('\n'), qsizetype{1});
        QVERIFY(text.endsWith("\n"));
        QVERIFY(text.contains("\x1b[K"));
        const QByteArray last = text.mid(text.lastIndexOf('\r'));
        QVERIFY(last.contains("3/3 100%"));
    }
};

QTEST_MAIN(EvalReport)
#include "test_eval_report.moc"
