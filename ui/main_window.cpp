#include "ui/main_window.h"

#include "ui/engine_worker.h"
#include "ui/page_view.h"

#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListView>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace glimpse::ui {
namespace {

QString mib(qint64 bytes) { return QString::number(double(bytes) / 1048576.0, 'f', 1) + " MiB"; }

}  // namespace

MainWindow::MainWindow(ModelChoice choice, ConversationOptions options, QWidget* parent) : QMainWindow(parent) {
    qRegisterMetaType<DocumentInfo>();
    qRegisterMetaType<ReadingProgress>();
    qRegisterMetaType<TurnInfo>();
    qRegisterMetaType<ModelInfo>();
    setWindowTitle(tr("Glimpse"));
    setAcceptDrops(true);
    buildWidgets();

    // Streaming answers are re-rendered at most 20 times a second.
    renderTimer_.setSingleShot(true);
    renderTimer_.setInterval(50);
    connect(&renderTimer_, &QTimer::timeout, this, &MainWindow::render);
    connect(&messages_, &QAbstractItemModel::dataChanged, this, &MainWindow::scheduleRender);
    connect(&messages_, &QAbstractItemModel::rowsInserted, this, &MainWindow::scheduleRender);
    connect(&messages_, &QAbstractItemModel::rowsRemoved, this, &MainWindow::scheduleRender);

    worker_ = new EngineWorker(std::move(choice), std::move(options));
    worker_->moveToThread(&workerThread_);
    connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
    connectWorker();
    workerThread_.start();
    setBusy(true);
    QMetaObject::invokeMethod(worker_, &EngineWorker::openModel, Qt::QueuedConnection);

    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
}

MainWindow::~MainWindow() {
    worker_->cancel();
    workerThread_.quit();
    workerThread_.wait();
}

void MainWindow::buildWidgets() {
    conversation_ = new QTextBrowser;
    conversation_->setOpenLinks(false);
    conversation_->setAccessibleName(tr("Conversation"));
    conversation_->setPlaceholderText(tr("Drop PDF, text or Markdown files here, then ask about them."));
    connect(conversation_, &QTextBrowser::anchorClicked, this, &MainWindow::openCitation);

    error_ = new QLabel;
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #a40000; padding: 4px;");
    error_->setAccessibleName(tr("Error"));
    error_->hide();

    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setAccessibleName(tr("Reading progress"));
    progressText_ = new QLabel;
    cancel_ = new QPushButton(tr("Cancel"));
    cancel_->setAccessibleName(tr("Cancel reading"));
    connect(cancel_, &QPushButton::clicked, this, [this] { worker_->cancel(); });
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(progressText_, 2);
    progressRow->addWidget(progress_, 3);
    progressRow->addWidget(cancel_);
    auto* progressBox = new QWidget;
    progressBox->setLayout(progressRow);
    progressBox->setObjectName("progressBox");
    progressBox->hide();

    input_ = new QPlainTextEdit;
    input_->setPlaceholderText(tr("Ask about the documents (Enter sends, Shift+Enter starts a new line)"));
    input_->setAccessibleName(tr("Question"));
    input_->setMaximumHeight(90);
    input_->installEventFilter(this);
    send_ = new QPushButton(tr("Send"));
    send_->setAccessibleName(tr("Send the question"));
    connect(send_, &QPushButton::clicked, this, [this] { ask(input_->toPlainText()); });
    stop_ = new QPushButton(tr("Stop"));
    stop_->setAccessibleName(tr("Stop the answer"));
    stop_->setShortcut(Qt::Key_Escape);
    connect(stop_, &QPushButton::clicked, this, [this] { worker_->cancel(); });
    auto* inputRow = new QHBoxLayout;
    inputRow->addWidget(input_, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(send_);
    buttons->addWidget(stop_);
    inputRow->addLayout(buttons);

    auto* centre = new QVBoxLayout;
    centre->addWidget(conversation_, 1);
    centre->addWidget(error_);
    centre->addWidget(progressBox);
    centre->addLayout(inputRow);
    auto* centreWidget = new QWidget;
    centreWidget->setLayout(centre);

    documentList_ = new QListView;
    documentList_->setModel(&documents_);
    documentList_->setAccessibleName(tr("Documents"));
    documentList_->setWordWrap(true);
    auto* add = new QPushButton(tr("Add documents…"));
    add->setAccessibleName(tr("Add documents"));
    connect(add, &QPushButton::clicked, this, &MainWindow::chooseDocuments);
    auto* side = new QVBoxLayout;
    side->addWidget(new QLabel(tr("<b>Documents</b>")));
    side->addWidget(documentList_, 1);
    side->addWidget(add);
    auto* sideWidget = new QWidget;
    sideWidget->setLayout(side);

    auto* splitter = new QSplitter;
    splitter->addWidget(centreWidget);
    splitter->addWidget(sideWidget);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    setCentralWidget(splitter);

    gauge_ = new QLabel(tr("Opening the model…"));
    gauge_->setAccessibleName(tr("Memory"));
    statusBar()->addPermanentWidget(gauge_, 1);
    resize(1100, 720);
}

void MainWindow::connectWorker() {
    connect(worker_, &EngineWorker::modelOpened, this, [this](const ModelInfo& model) {
        model_ = model;
        updateGauge(nullptr);
    });
    connect(worker_, &EngineWorker::documentAdded, this, [this](const DocumentInfo& d) { documents_.add(d); });
    connect(worker_, &EngineWorker::progress, this, [this](const ReadingProgress& p) {
        findChild<QWidget*>("progressBox")->show();
        progress_->setValue(int(p.fraction * 1000));
        QString text = p.stage;
        if (p.secondsLeft > 0) text += tr(" · %1 s left").arg(p.secondsLeft, 0, 'f', 0);
        if (p.tokensPerSecond > 0) text += tr(" · %1 tok/s").arg(p.tokensPerSecond, 0, 'f', 0);
        progressText_->setText(text);
    });
    connect(worker_, &EngineWorker::answerPiece, this, [this](const QString& piece) {
        findChild<QWidget*>("progressBox")->hide();
        messages_.appendToAnswer(piece);
    });
    connect(worker_, &EngineWorker::turnFinished, this, [this](const TurnInfo& turn) {
        messages_.finishAnswer(turn);
        render();   // a finished answer is rendered once, at once
        updateGauge(&turn);
    });
    connect(worker_, &EngineWorker::failed, this, [this](const QString& message, bool) {
        messages_.dropUnansweredQuestion();
        showError(message);
    });
    connect(worker_, &EngineWorker::idle, this, [this] { setBusy(false); });
}

void MainWindow::setBusy(bool busy) {
    busy_ = busy;
    send_->setEnabled(!busy);
    stop_->setEnabled(busy);
    if (!busy) findChild<QWidget*>("progressBox")->hide();
}

void MainWindow::addDocuments(const QStringList& paths) {
    if (paths.isEmpty()) return;
    error_->hide();
    setBusy(true);
    QMetaObject::invokeMethod(worker_, "addDocuments", Qt::QueuedConnection, Q_ARG(QStringList, paths));
}

void MainWindow::ask(const QString& question) {
    const QString q = question.trimmed();
    if (q.isEmpty() || busy_) return;
    error_->hide();
    input_->clear();
    messages_.addQuestion(q);
    setBusy(true);
    QMetaObject::invokeMethod(worker_, "ask", Qt::QueuedConnection, Q_ARG(QString, q));
}

void MainWindow::showError(const QString& message) {
    error_->setText(message);
    error_->show();
}

void MainWindow::scheduleRender() {
    if (!renderTimer_.isActive()) renderTimer_.start();
}

void MainWindow::render() {
    renderTimer_.stop();
    ++renders_;
    QString markdown;
    for (const auto& m : messages_.messages()) {
        if (m.question) {
            markdown += "**" + tr("You") + ":** " + m.text.toHtmlEscaped() + "\n\n";
            continue;
        }
        markdown += m.text + (m.streaming ? " ▍" : "") + "\n\n";
        if (m.streaming) continue;
        QString footer = "*" + turnStatsText(m.turn) + "*";
        if (!m.turn.cited.isEmpty()) {
            QStringList links;
            for (const auto& c : m.turn.cited) {
                const QString name = documents_.documents().size() > 1
                                         ? tr("doc %1 p. %2").arg(c.document + 1).arg(c.page)
                                         : tr("p. %1").arg(c.page);
                links << QString("[%1](page:%2:%3)").arg(name).arg(c.document).arg(c.page);
            }
            footer += " · " + tr("drew on") + " " + links.join(", ");
        }
        markdown += footer + "\n\n---\n\n";
    }
    conversation_->setMarkdown(markdown);
    conversation_->verticalScrollBar()->setValue(conversation_->verticalScrollBar()->maximum());
}

void MainWindow::openCitation(const QUrl& link) {
    // page:<document>:<page>; the passages of the last answer that cited it.
    const QStringList parts = link.toString().split(':');
    if (parts.size() != 3 || parts[0] != "page") return;
    const int document = parts[1].toInt(), page = parts[2].toInt();
    for (auto it = messages_.messages().crbegin(); it != messages_.messages().crend(); ++it)
        for (const auto& c : it->turn.cited)
            if (c.document == document && c.page == page) return showPage(document, page, c.passages);
    showPage(document, page, {});
}

void MainWindow::showPage(int document, int page, const QList<QPair<int, int>>& passages) {
    if (document < 0 || document >= documents_.documents().size()) return;
    const DocumentInfo& d = documents_.documents()[document];
    for (const auto& p : d.pageTexts)
        if (p.number == page) {
            auto* view = new PageView(d.title, d.pageTexts, page, passages, this);
            view->setAttribute(Qt::WA_DeleteOnClose);
            view->show();
            return;
        }
}

void MainWindow::updateGauge(const TurnInfo* turn) {
    QString text;
    if (turn)
        text = tr("KV %1 kept of %2 · ").arg(mib(turn->keptBytes), mib(turn->fullBytes));
    text += tr("budget %1 · %2 · %3 · CPU · %4 threads")
                .arg(model_.budget)
                .arg(model_.policy, model_.name)
                .arg(model_.threads);
    gauge_->setText(text);
    gauge_->setToolTip(model_.summary);
}

void MainWindow::chooseDocuments() {
    addDocuments(QFileDialog::getOpenFileNames(this, tr("Add documents"), {},
                                               tr("Documents (*.pdf *.txt *.md *.markdown);;All files (*)")));
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == input_ && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && !(key->modifiers() & Qt::ShiftModifier)) {
            ask(input_->toPlainText());
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    addDocuments(paths);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    QMainWindow::closeEvent(event);
}

}  // namespace glimpse::ui
