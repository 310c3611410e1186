#include "app/eval/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace glimpse::eval {

ProgressBar::ProgressBar(QString label, qint64 total, FILE* stream)
    : label_(std::move(label)), total_(std::max<qint64>(0, total)), stream_(stream),
      interactive_(stream && isatty(fileno(stream))) {
    clock_.start();
}

ProgressBar::~ProgressBar() {
    // A bar left unfinished (an exception, a cancel) still ends its line.
    if (!finished_ && interactive_ && lastPrintMs_ >= 0 && stream_) std::fputc('\n', stream_);
}

QString ProgressBar::formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("?");
    const qint64 s = static_cast<qint64>(std::llround(seconds));
    if (s < 60) return QString::number(s) + QLatin1Char('s');
    if (s < 3600) return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString ProgressBar::formatLine(const QString& label, qint64 done, qint64 total, double elapsedSeconds, int barWidth) {
    const double fraction = total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0) : 1.0;
    const int filled = static_cast<int>(std::floor(fraction * barWidth));
    QString line = label + QStringLiteral(" [") + QString(filled, QLatin1Char('#')) +
                   QString(barWidth - filled, QLatin1Char('-')) + QStringLiteral("] ");
    const int digits = static_cast<int>(QString::number(total).size());
    line += QStringLiteral("%1/%2 %3%").arg(done, digits).arg(total).arg(static_cast<int>(std::floor(fraction * 100)), 3);
    line += QStringLiteral("  ") + formatDuration(elapsedSeconds) + QStringLiteral(" elapsed");
    if (done >= total)
        line += QStringLiteral("  done");
    else if (done > 0)
        line += QStringLiteral("  ETA ") +
                formatDuration(elapsedSeconds * static_cast<double>(total - done) / static_cast<double>(done));
    else
        line += QStringLiteral("  ETA ?");
    return line;
}

void ProgressBar::update(qint64 done) {
    done_ = std::clamp<qint64>(done, 0, total_);
    print(done_, false);
}

void ProgressBar::finish() {
    if (finished_) return;
    if (interactive_ || lastPrintedDone_ != done_) print(done_, true);
    if (stream_ && interactive_) std::fputc('\n', stream_);
    finished_ = true;
    if (stream_) std::fflush(stream_);
}

void ProgressBar::print(qint64 done, bool force) {
    if (!stream_ || finished_) return;
    const qint64 now = clock_.elapsed();
    const int decile = total_ > 0 ? static_cast<int>(done * 10 / total_) : 10;
    if (!force) {
        if (interactive_ && lastPrintMs_ >= 0 && now - lastPrintMs_ < 100 && done < total_) return;
        if (!interactive_ && decile == lastDecile_ && (lastPrintMs_ >= 0 && now - lastPrintMs_ < 60000)) return;
    }
    lastPrintMs_ = now;
    lastDecile_ = decile;
    lastPrintedDone_ = done;
    const QByteArray line = formatLine(label_, done, total_, now / 1000.0).toUtf8();
    if (interactive_)
        std::fprintf(stream_, "\r%s\x1b[K", line.constData());
    else
        std::fprintf(stream_, "%s\n", line.constData());
    std::fflush(stream_);
}

}  // namespace glimpse::eval
