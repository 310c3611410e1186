#pragma once
// A terminal progress line with ETA for long evaluation runs: on a terminal one line
// rewritten in place, otherwise (a log file, CI) a plain line every 10% or every minute.

#include <QElapsedTimer>
#include <QString>

#include <cstdio>

namespace glimpse::eval {

class ProgressBar {
public:
    // Writes to `stream` (stderr by default); interactive when it is a terminal.
    explicit ProgressBar(QString label, qint64 total, FILE* stream = stderr);
    ~ProgressBar();

    void setInteractive(bool interactive) { interactive_ = interactive; }
    bool isInteractive() const { return interactive_; }

    // Reports `done` of the total finished; cheap enough to call after every item.
    void update(qint64 done);
    // Prints the final line (once) and ends it with a newline.
    void finish();

    // "label [#####-----]  45/100  45%  1m05s elapsed  ETA 1m19s" for a bar of `barWidth`.
    static QString formatLine(const QString& label, qint64 done, qint64 total, double elapsedSeconds, int barWidth = 30);
    // "42s", "3m07s", "2h05m".
    static QString formatDuration(double seconds);

private:
    void print(qint64 done, bool force);

    QString label_;
    qint64 total_;
    FILE* stream_;
    bool interactive_;
    bool finished_ = false;
    qint64 done_ = 0;
    qint64 lastPrintMs_ = -1;
    qint64 lastPrintedDone_ = -1;
    int lastDecile_ = -1;
    QElapsedTimer clock_;
};

}  // namespace glimpse::eval
