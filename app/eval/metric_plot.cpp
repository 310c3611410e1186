#include "app/eval/metric_plot.h"

#include "app/eval/report_format.h"
#include "engine/error.h"

#include <QDir>
#include <QFontMetrics>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

using glimpse::eval::EvalMetric;
using glimpse::eval::EvalRecord;

const QColor kPalette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
                           QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
                           QColor(188, 189, 34), QColor(23, 190, 207)};

struct PolicySeries {
    QString policy;
    std::vector<glimpse::eval::RecordGroup> points;  // budget > 0, ascending
    std::optional<glimpse::eval::MeanInterval> reference;  // budget <= 0
};

bool hasValue(const glimpse::eval::MeanInterval& interval) { return interval.n > 0 && std::isfinite(interval.mean); }

std::vector<PolicySeries> seriesFor(std::span<const EvalRecord> records, EvalMetric metric, const QString& setting) {
    std::vector<EvalRecord> selected;
    for (const auto& record : records)
        if (setting.isEmpty() || QString::fromStdString(record.setting) == setting) selected.push_back(record);
    glimpse::eval::GroupFields fields;
    fields.setting = false;
    fields.task = false;
    fields.length = false;
    std::map<std::string, PolicySeries> byPolicy;
    for (const auto& group : glimpse::eval::summarise_records(selected, fields)) {
        if (!hasValue(group.metric(metric))) continue;
        PolicySeries& series = byPolicy[group.policy];
        series.policy = QString::fromStdString(group.policy);
        if (group.budget > 0)
            series.points.push_back(group);
        else
            series.reference = group.metric(metric);
    }
    std::vector<PolicySeries> out;
    for (auto& [name, series] : byPolicy) out.push_back(std::move(series));
    return out;
}

QString budgetLabel(int64_t budget) {
    if (budget >= 1024 && budget % 1024 == 0) return QString::number(budget / 1024) + QLatin1Char('K');
    return QString::number(budget);
}

}  // namespace

QImage plotMetricVsBudget(std::span<const EvalRecord> records, EvalMetric metric, const MetricPlotOptions& options) {
    const QString metricName = QString::fromUtf8(glimpse::eval::eval_metric_name(metric).data());
    const auto series = seriesFor(records, metric, options.setting);
    if (series.empty()) throw engine::Error("plot: no record has a value for " + metricName.toStdString());

    // Data ranges: x is log2(budget); y spans every mean and interval end.
    double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
    std::vector<int64_t> budgets;
    auto includeY = [&](const glimpse::eval::MeanInterval& interval) {
        const double half = std::isfinite(interval.half_width) ? interval.half_width : 0.0;
        yMin = std::min(yMin, interval.mean - half);
        yMax = std::max(yMax, interval.mean + half);
    };
    for (const auto& s : series) {
        for (const auto& point : s.points) {
            xMin = std::min(xMin, std::log2(static_cast<double>(point.budget)));
            xMax = std::max(xMax, std::log2(static_cast<double>(point.budget)));
            budgets.push_back(point.budget);
            includeY(point.metric(metric));
        }
        if (s.reference) includeY(*s.reference);
    }
    if (!std::isfinite(xMin)) xMin = 0, xMax = 1;
    xMin -= 0.5;
    xMax += 0.5;
    if (yMax - yMin < 1e-12) yMin -= 0.5, yMax += 0.5;
    const double pad = 0.06 * (yMax - yMin);
    yMin -= pad;
    yMax += pad;
    std::sort(budgets.begin(), budgets.end());
    budgets.erase(std::unique(budgets.begin(), budgets.end()), budgets.end());

    QImage image(options.size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    QFont font = painter.font();
    font.setPixelSize(std::max(10, options.size.height() / 45));
    painter.setFont(font);
    const QFontMetrics metrics(font);

    const int legendWidth = 40 + [&] {
        int widest = metrics.horizontalAdvance(QStringLiteral("policy"));
        for (const auto& s : series) widest = std::max(widest, metrics.horizontalAdvance(s.policy + QStringLiteral(" (no budget)")));
        return widest;
    }();
    const QRect plot(QPoint(90, 60), QPoint(options.size.width() - legendWidth - 40, options.size.height() - 70));
    auto px = [&](double x) { return plot.left() + (x - xMin) / (xMax - xMin) * plot.width(); };
    auto py = [&](double y) { return plot.bottom() - (y - yMin) / (yMax - yMin) * plot.height(); };

    // Title and axes.
    QFont titleFont = font;
    titleFont.setPixelSize(font.pixelSize() * 3 / 2);
    titleFont.setBold(true);
    painter.setFont(titleFont);
    QString title = options.title.isEmpty() ? metricName + QStringLiteral(" vs KV budget") : options.title;
    if (options.title.isEmpty() && !options.setting.isEmpty()) title += QStringLiteral(" (") + options.setting + QLatin1Char(')');
    painter.setPen(Qt::black);
    painter.drawText(QRect(0, 10, options.size.width(), 40), Qt::AlignCenter, title);
    painter.setFont(font);

    // Y ticks at a round step (1, 2 or 5 times a power of ten), about five of them.
    std::vector<double> yTicks;
    {
        const double rough = (yMax - yMin) / 5;
        const double power = std::pow(10.0, std::floor(std::log10(rough)));
        const double step = rough / power < 1.5 ? power : rough / power < 3.5 ? 2 * power : rough / power < 7.5 ? 5 * power : 10 * power;
        for (double y = std::ceil(yMin / step) * step; y <= yMax + step * 1e-9; y += step)
            yTicks.push_back(std::abs(y) < step * 1e-9 ? 0.0 : y);
    }
    painter.setPen(QPen(QColor(225, 225, 225), 1));
    for (double y : yTicks) painter.drawLine(QPointF(plot.left(), py(y)), QPointF(plot.right(), py(y)));
    for (int64_t budget : budgets) {
        const double x = px(std::log2(static_cast<double>(budget)));
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
    }
    painter.setPen(QPen(Qt::black, 1));
    painter.drawRect(plot);
    const double tickScale = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 1.0;
    for (double y : yTicks)
        painter.drawText(QRectF(0, py(y) - 10, plot.left() - 8, 20), Qt::AlignRight | Qt::AlignVCenter,
                         QString::number(y, 'f', std::clamp(static_cast<int>(-std::floor(std::log10(tickScale))), 0, 6)));
    for (int64_t budget : budgets) {
        const double x = px(std::log2(static_cast<double>(budget)));
        painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 5));
        painter.drawText(QRectF(x - 40, plot.bottom() + 6, 80, 20), Qt::AlignHCenter | Qt::AlignTop, budgetLabel(budget));
    }
    painter.drawText(QRect(plot.left(), plot.bottom() + 30, plot.width(), 24), Qt::AlignCenter,
                     QStringLiteral("KV budget (tokens per head, log2 scale)"));
    painter.save();
    painter.translate(18, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRect(-plot.height() / 2, -12, plot.height(), 24), Qt::AlignCenter, metricName);
    painter.restore();

    // Series, clipped to the plot area.
    painter.setClipRect(plot.adjusted(1, 1, -1, -1));
    for (size_t i = 0; i < series.size(); ++i) {
        const QColor colour = kPalette[i % std::size(kPalette)];
        const auto& s = series[i];
        if (s.reference) {
            painter.setPen(QPen(colour, 2, Qt::DashLine));
            painter.drawLine(QPointF(plot.left(), py(s.reference->mean)), QPointF(plot.right(), py(s.reference->mean)));
        }
        painter.setPen(QPen(colour, 2.5));
        QPainterPath line;
        for (size_t p = 0; p < s.points.size(); ++p) {
            const QPointF at(px(std::log2(static_cast<double>(s.points[p].budget))), py(s.points[p].metric(metric).mean));
            p == 0 ? line.moveTo(at) : line.lineTo(at);
        }
        painter.drawPath(line);
        for (const auto& point : s.points) {
            const auto& interval = point.metric(metric);
            const double x = px(std::log2(static_cast<double>(point.budget)));
            if (std::isfinite(interval.half_width) && interval.half_width > 0) {
                painter.setPen(QPen(colour, 1.5));
                painter.drawLine(QPointF(x, py(interval.low())), QPointF(x, py(interval.high())));
                painter.drawLine(QPointF(x - 5, py(interval.low())), QPointF(x + 5, py(interval.low())));
                painter.drawLine(QPointF(x - 5, py(interval.high())), QPointF(x + 5, py(interval.high())));
            }
            painter.setPen(Qt::NoPen);
            painter.setBrush(colour);
            painter.drawEllipse(QPointF(x, py(interval.mean)), 4, 4);
            painter.setBrush(Qt::NoBrush);
        }
    }
    painter.setClipping(false);

    // Legend.
    int y = plot.top() + 4;
    const int x = plot.right() + 20;
    painter.setPen(Qt::black);
    painter.drawText(QRect(x, y, legendWidth, 20), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("policy"));
    for (size_t i = 0; i < series.size(); ++i) {
        y += 22;
        const QColor colour = kPalette[i % std::size(kPalette)];
        const bool referenceOnly = series[i].points.empty();
        painter.setPen(QPen(colour, 2.5, referenceOnly ? Qt::DashLine : Qt::SolidLine));
        painter.drawLine(x, y + 10, x + 24, y + 10);
        painter.setPen(Qt::black);
        painter.drawText(QRect(x + 30, y, legendWidth, 20), Qt::AlignLeft | Qt::AlignVCenter,
                         series[i].policy + (referenceOnly ? QStringLiteral(" (no budget)") : QString()));
    }
    painter.end();
    return image;
}

QStringList writeMetricPlots(std::span<const EvalRecord> records, const QString& directory,
                             const MetricPlotOptions& options) {
    if (!QDir().mkpath(directory)) throw engine::Error(directory.toStdString() + ": cannot create the plot folder");
    QStringList written;
    for (EvalMetric metric : glimpse::eval::all_eval_metrics()) {
        const bool measured = std::any_of(records.begin(), records.end(), [&](const EvalRecord& r) {
            return std::isfinite(r.value(metric)) &&
                   (options.setting.isEmpty() || QString::fromStdString(r.setting) == options.setting);
        });
        if (!measured) continue;
        const QString name = QString::fromUtf8(glimpse::eval::eval_metric_name(metric).data());
        const QString path = QDir(directory).filePath(name + QStringLiteral(".png"));
        if (!plotMetricVsBudget(records, metric, options).save(path, "PNG"))
            throw engine::Error(path.toStdString() + ": cannot write the plot");
        written << path;
    }
    return written;
}

}  // namespace glimpse::eval
