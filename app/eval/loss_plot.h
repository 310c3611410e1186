#pragma once
// The loss curve of a LookaheadKV training run: each step's loss (thin), its running mean
// (thick) and the validation loss (points), against the step. Drawn with QPainter on a
// QImage, so it needs a QGuiApplication (the offscreen platform will do).

#include <QImage>
#include <QSize>
#include <QString>

#include <vector>

namespace glimpse::eval {

struct LossPoint {
    double step = 0.0;
    double loss = 0.0;
};

// Throws engine::Error when there is no training point.
QImage plotLossCurve(const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation,
                     QSize size = {960, 640});
// Throws engine::Error when the file cannot be written.
void writeLossPlot(const QString& path, const std::vector<LossPoint>& training, const std::vector<LossPoint>& validation);

}  // namespace glimpse::eval
