#include "app/eval/loss_plot.h"

#include "engine/error.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types
namespace {

constexpr int kRunningWindow = 20;

std::vector<LossPoint> runningMean(const std::vector<LossPoint>& points) {
    std::vector<LossPoint> out;
    double sum = 0.0;
    for (size_t i = 0; i < points.size(); ++i) {
        sum += points[i].loss;
        if (i >= kRunningWindow) sum -= points[i - kRunningWindow].loss;
        const double n = static_cast<double>(std::min<size_t>(i + 1, kRunningWindow));
        out.push_back({points[i].step, sum / n});
    }
    return out;
}

// A round tick spacing giving about `target` ticks over `span`.
double tickStep(double span, int target) {
    const double raw = span / target;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (raw <= m * magnitude) return m * magnitude;
    return 10.0 * magnitude;
}

}  // namespace

QImage plotLossCurve(const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation, QSize size) {
    if (training.empty()) throw engine::Error("loss plot: no training steps to draw");
    double x_max = 1.0, y_max = 0.0;
    for (const auto* series : {&training, &validation})
        for (const LossPoint& p : *series)
            if (std::isfinite(p.loss)) {
                x_max = std::max(x_max, p.step);
                y_max = std::max(y_max, p.loss);
            }
    if (y_max <= 0.0) y_max = 1.0;
    const double x_tick = tickStep(x_max, 8), y_tick = tickStep(y_max, 6);
    x_max = std::ceil(x_max / x_tick) * x_tick;
    y_max = std::ceil(y_max / y_tick) * y_tick;

    QImage image(size, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area(80, 50, size.width() - 110, size.height() - 120);
    auto to_point = [&](const LossPoint& p) {
        return QPointF(area.left() + area.width() * p.step / x_max, area.bottom() - area.height() * p.loss / y_max);
    };

    painter.setPen(QColor(220, 220, 220));
    for (double x = 0; x <= x_max + 1e-9; x += x_tick) {
        const QPointF at = to_point({x, 0});
        painter.setPen(QColor(225, 225, 225));
        painter.drawLine(QPointF(at.x(), area.top()), QPointF(at.x(), area.bottom()));
        painter.setPen(Qt::black);
        painter.drawText(QRectF(at.x() - 40, area.bottom() + 6, 80, 20), Qt::AlignHCenter, QString::number(x));
    }
    for (double y = 0; y <= y_max + 1e-12; y += y_tick) {
        const QPointF at = to_point({0, y});
        painter.setPen(QColor(225, 225, 225));
        painter.drawLine(QPointF(area.left(), at.y()), QPointF(area.right(), at.y()));
        painter.setPen(Qt::black);
        painter.drawText(QRectF(area.left() - 76, at.y() - 10, 70, 20), Qt::AlignRight | Qt::AlignVCenter,
                         QString::number(y, 'g', 3));
    }
    painter.drawRect(area);
    painter.drawText(QRectF(area.left(), area.bottom() + 30, area.width(), 20), Qt::AlignHCenter, "step");
    painter.save();
    painter.translate(18, area.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-150, -10, 300, 20), Qt::AlignHCenter, "KL loss");
    painter.restore();
    QFont title = painter.font();
    title.setPointSizeF(title.pointSizeF() * 1.3);
    painter.setFont(title);
    painter.drawText(QRectF(0, 10, size.width(), 30), Qt::AlignHCenter, "LookaheadKV training loss");
    painter.setFont(QFont());

    auto draw_line = [&](const std::vector<LossPoint>& points, const QPen& pen) {
        QPainterPath path;
        bool started = false;
        for (const LossPoint& p : points) {
            if (!std::isfinite(p.loss)) continue;
            if (started) path.lineTo(to_point(p));
            else path.moveTo(to_point(p));
            started = true;
        }
        painter.setPen(pen);
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path);
    };
    painter.setClipRect(area);
    draw_line(training, QPen(QColor(31, 119, 180, 90), 1.0));
    draw_line(runningMean(training), QPen(QColor(31, 119, 180), 2.5));
    draw_line(validation, QPen(QColor(214, 39, 40), 2.0));
    painter.setBrush(QColor(214, 39, 40));
    for (const LossPoint& p : validation)
        if (std::isfinite(p.loss)) painter.drawEllipse(to_point(p), 4, 4);
    painter.setClipping(false);

    // Legend, top right.
    const QString labels[] = {"loss per step", QString("running mean (%1 steps)").arg(kRunningWindow), "validation"};
    const QPen pens[] = {QPen(QColor(31, 119, 180, 90), 1.0), QPen(QColor(31, 119, 180), 2.5),
                         QPen(QColor(214, 39, 40), 2.0)};
    const int rows = validation.empty() ? 2 : 3;
    for (int i = 0; i < rows; ++i) {
        const double y = area.top() + 18 + 20 * i;
        painter.setPen(pens[i]);
        painter.drawLine(QPointF(area.right() - 230, y), QPointF(area.right() - 200, y));
        painter.setPen(Qt::black);
        painter.drawText(QRectF(area.right() - 192, y - 10, 190, 20), Qt::AlignLeft | Qt::AlignVCenter, labels[i]);
    }
    return image;
}

void writeLossPlot(const QString& path, const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation) {
    if (!plotLossCurve(training, validation).save(path, "PNG"))
        throw engine::Error("cannot write the loss plot " + path.toStdString());
}

}  // namespace glimpse::eval
