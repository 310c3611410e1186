// Evaluation reports: CSV quoting and columns, the Markdown table of means with 95% CIs,
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
        std::vector<EvalRecord> records{record("snap,kv \"v2\"", 256, 0.75, 1), record("h2o", 512, 0.5, EvalRecord::kMissing)};
        records[1].setting = "multi\nline";
        const QString csv = glimpse::eval::recordsCsv(records);
        qsizetype at = 0;
        const QStringList header = parseCsvRecord(csv, at);
        QCOMPARE(header, QStringList({"policy", "budget", "setting", "task", "length", "recall", "dnll", "correct",
                                      "evict_ms", "prefill_ms", "kept_bytes", "rows_ms", "scoring_ms", "answer_nll"}));
        const QStringList first = parseCsvRecord(csv, at);
        QCOMPARE(first.size(), 14);
        QCOMPARE(first[0], QString("snap,kv \"v2\""));
        QCOMPARE(first[1], QString("256"));
        QCOMPARE(first[5].toDouble(), 0.75);
        QCOMPARE(first[7], QString("1"));
        QCOMPARE(first[10], QString("1048576"));
        QCOMPARE(first[11].toDouble(), 2.5);   // rows_ms
        QCOMPARE(first[12].toDouble(), 10.0);  // scoring_ms
        QCOMPARE(first[13], QString(""));      // answer_nll: not measured here
        const QStringList second = parseCsvRecord(csv, at);
        QCOMPARE(second[2], QString("multi\nline"));
        QCOMPARE(second[7], QString(""));  // missing metric
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
        QVERIFY(lines[0].startsWith("| policy | budget | setting | n | recall | dnll | correct |"));
        QVERIFY(lines[1].startsWith("|---|---|---|---:|"));
        // h2o|x sorts first; its one record has no interval.
        QVERIFY2(lines[2].startsWith("| h2o\\|x | 128 | cpu | 1 | 0.500 | 0.250 | 1.000 |"), qPrintable(lines[2]));
        // recall {0.8, 0.6, 0.7}: mean 0.7, s 0.1, half width 4.302653 * 0.1 / sqrt(3) = 0.248.
        QVERIFY2(lines[3].startsWith("| snapkv | 256 | cpu | 3 | 0.700 ± 0.248 |"), qPrintable(lines[3]));
        // correct {1, 0, 1}: mean 0.667, s 0.57735, half width 4.302653 * 0.57735 / sqrt(3) = 1.434.
        QVERIFY2(lines[3].contains("| 0.667 ± 1.434 |"), qPrintable(lines[3]));
        // ... rows_ms, scoring_ms, and answer_nll, not measured here.
        QVERIFY2(lines[3].endsWith("| 12.5 ± 0.0 | 1256 ± 0 | 1048576 ± 0 | 2.500 ± 0.000 | 10.0 ± 0.0 | – |"),
                 qPrintable(lines[3]));
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
