#include "ui/main_window.h"

#include "ui/engine_worker.h"
#include "ui/page_view.h"
#include "ui/settings_dialog.h"

#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace glimpse::ui {
namespace {

QString mib(qint64 bytes) { return QString::number(double(bytes) / 1048576.0, 'f', 1) + " MiB"; }

QWidget* boxed(QLayout* layout) {
    auto* w = new QWidget;
    w->setLayout(layout);
    return w;
}

}  // namespace

MainWindow::MainWindow(ModelChoice choice, ConversationOptions options, std::filesystem::path sessionsDb, QWidget* parent)
    : QMainWindow(parent), settings_(AppSettings::load()) {
    qRegisterMetaType<DocumentInfo>();
    qRegisterMetaType<ReadingProgress>();
    qRegisterMetaType<TurnInfo>();
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<SessionInfo>();
    qRegisterMetaType<OpenedSession>();
    setWindowTitle(tr("Glimpse"));
    setAcceptDrops(true);
    buildWidgets();
    buildMenus();

    // Streaming answers are re-rendered at most 20 times a second.
    renderTimer_.setSingleShot(true);
    renderTimer_.setInterval(50);
    connect(&renderTimer_, &QTimer::timeout, this, &MainWindow::render);
    connect(&messages_, &QAbstractItemModel::dataChanged, this, &MainWindow::scheduleRender);
    connect(&messages_, &QAbstractItemModel::rowsInserted, this, &MainWindow::scheduleRender);
    connect(&messages_, &QAbstractItemModel::rowsRemoved, this, &MainWindow::scheduleRender);
    connect(&messages_, &QAbstractItemModel::modelReset, this, &MainWindow::render);

    worker_ = new EngineWorker(std::move(choice), std::move(options), std::move(sessionsDb));
    worker_->moveToThread(&workerThread_);
    connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
    connectWorker();
    workerThread_.start();
    run([](EngineWorker& w) { w.openModel(); });

    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
}

MainWindow::~MainWindow() {
    worker_->cancel();
    workerThread_.quit();
    workerThread_.wait();
}

void MainWindow::buildWidgets() {
    centre_ = new QStackedWidget;
    centre_->addWidget(buildConversationPanel());
    centre_->addWidget(buildFirstRunPage());

    auto* splitter = new QSplitter;
    splitter->addWidget(buildSessionsPanel());
    splitter->addWidget(centre_);
    splitter->addWidget(buildDocumentsPanel());
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 4);
    splitter->setStretchFactor(2, 1);
    splitter->setSizes({230, 640, 250});
    setCentralWidget(splitter);

    gauge_ = new QLabel(tr("Opening the model…"));
    gauge_->setAccessibleName(tr("Memory"));
    statusBar()->addPermanentWidget(gauge_, 1);
    resize(1180, 740);
}

QWidget* MainWindow::buildSessionsPanel() {
    search_ = new QLineEdit;
    search_->setPlaceholderText(tr("Search sessions"));
    search_->setAccessibleName(tr("Search sessions"));
    search_->setClearButtonEnabled(true);
    sessionFilter_.setSourceModel(&sessions_);
    sessionFilter_.setFilterRole(SessionListModel::SearchRole);
    sessionFilter_.setFilterCaseSensitivity(Qt::CaseInsensitive);
    connect(search_, &QLineEdit::textChanged, &sessionFilter_, &QSortFilterProxyModel::setFilterFixedString);

    sessionList_ = new QListView;
    sessionList_->setModel(&sessionFilter_);
    sessionList_->setAccessibleName(tr("Sessions"));
    sessionList_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    sessionList_->setSpacing(2);
    sessionList_->setWordWrap(true);
    sessionList_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    sessionList_->setTextElideMode(Qt::ElideRight);
    connect(sessionList_, &QListView::activated, this, [this](const QModelIndex& i) {
        openSession(i.data(SessionListModel::IdRole).toLongLong());
    });
    connect(sessionList_, &QListView::clicked, this, [this](const QModelIndex& i) {
        openSession(i.data(SessionListModel::IdRole).toLongLong());
    });
    connect(&sessions_, &QAbstractItemModel::modelReset, this, &MainWindow::selectCurrentSession);

    auto* add = new QPushButton(tr("New"));
    add->setAccessibleName(tr("New session"));
    add->setToolTip(tr("Start a new session (Ctrl+N)"));
    connect(add, &QPushButton::clicked, this, &MainWindow::newSession);
    auto* rename = new QPushButton(tr("Rename…"));
    rename->setAccessibleName(tr("Rename session"));
    connect(rename, &QPushButton::clicked, this, [this] {
        const qint64 id = selectedSessionId();
        const int row = sessions_.rowOf(id);
        if (row < 0) return;
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Rename session"), tr("Name:"), QLineEdit::Normal,
                                                   sessions_.sessions()[row].name, &ok);
        if (ok && !name.trimmed().isEmpty()) renameSession(id, name);
    });
    auto* remove = new QPushButton(tr("Delete…"));
    remove->setAccessibleName(tr("Delete session"));
    connect(remove, &QPushButton::clicked, this, [this] { deleteSession(selectedSessionId()); });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(rename);
    buttons->addWidget(remove);

    auto* panel = new QVBoxLayout;
    panel->addWidget(new QLabel(tr("<b>Sessions</b>")));
    panel->addWidget(search_);
    panel->addWidget(sessionList_, 1);
    panel->addLayout(buttons);
    return boxed(panel);
}

QWidget* MainWindow::buildConversationPanel() {
    conversation_ = new QTextBrowser;
    conversation_->setOpenLinks(false);
    conversation_->setAccessibleName(tr("Conversation"));
    conversation_->setPlaceholderText(tr("Drop PDF, text or Markdown files here, then ask about them."));
    connect(conversation_, &QTextBrowser::anchorClicked, this, &MainWindow::openLink);

    error_ = new QLabel;
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #a40000; padding: 4px;");
    error_->setAccessibleName(tr("Error"));
    error_->hide();
    notice_ = new QLabel;
    notice_->setWordWrap(true);
    notice_->setStyleSheet("color: #204a87; padding: 4px;");
    notice_->setAccessibleName(tr("Notice"));
    notice_->hide();

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
    progressBox_ = boxed(progressRow);
    progressBox_->hide();

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
    centre->addWidget(notice_);
    centre->addWidget(error_);
    centre->addWidget(progressBox_);
    centre->addLayout(inputRow);
    return boxed(centre);
}

QWidget* MainWindow::buildDocumentsPanel() {
    documentList_ = new QListView;
    documentList_->setModel(&documents_);
    documentList_->setAccessibleName(tr("Documents"));
    documentList_->setWordWrap(true);
    documentList_->setSpacing(2);
    auto* add = new QPushButton(tr("Add…"));
    add->setAccessibleName(tr("Add documents"));
    add->setToolTip(tr("Add PDF, text or Markdown files (Ctrl+O)"));
    connect(add, &QPushButton::clicked, this, &MainWindow::chooseDocuments);
    removeDocument_ = new QPushButton(tr("Remove"));
    removeDocument_->setAccessibleName(tr("Remove the selected document"));
    connect(removeDocument_, &QPushButton::clicked, this, [this] {
        const QModelIndex i = documentList_->currentIndex();
        if (i.isValid()) removeDocument(i.row());
    });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(removeDocument_);
    auto* side = new QVBoxLayout;
    side->addWidget(new QLabel(tr("<b>Documents</b>")));
    side->addWidget(documentList_, 1);
    side->addLayout(buttons);
    return boxed(side);
}

QWidget* MainWindow::buildFirstRunPage() {
    firstRunText_ = new QLabel;
    firstRunText_->setWordWrap(true);
    firstRunText_->setTextFormat(Qt::RichText);
    firstRunText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    firstRunText_->setAccessibleName(tr("Getting started"));
    auto* choose = new QPushButton(tr("Choose a model file…"));
    choose->setAccessibleName(tr("Choose a model file"));
    connect(choose, &QPushButton::clicked, this, &MainWindow::chooseModelFile);
    auto* settings = new QPushButton(tr("Settings…"));
    connect(settings, &QPushButton::clicked, this, &MainWindow::showSettings);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(choose);
    buttons->addWidget(settings);
    buttons->addStretch();
    auto* page = new QVBoxLayout;
    page->addStretch();
    page->addWidget(firstRunText_);
    page->addLayout(buttons);
    page->addStretch(2);
    page->setContentsMargins(48, 24, 48, 24);
    return boxed(page);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New session"), QKeySequence::New, this, &MainWindow::newSession);
    file->addAction(tr("&Add documents…"), QKeySequence::Open, this, &MainWindow::chooseDocuments);
    file->addSeparator();
    file->addAction(tr("&Settings…"), QKeySequence::Preferences, this, &MainWindow::showSettings);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(tr("&Find session"), QKeySequence::Find, this, [this] { search_->setFocus(); });
    edit->addAction(tr("&Regenerate the last answer"), QKeySequence(tr("Ctrl+R")), this, &MainWindow::regenerate);
    edit->addAction(tr("Copy the last &answer"), QKeySequence(tr("Ctrl+Shift+C")), this, [this] {
        for (auto it = messages_.messages().crbegin(); it != messages_.messages().crend(); ++it)
            if (!it->question) return QApplication::clipboard()->setText(it->text);
    });
}

void MainWindow::connectWorker() {
    connect(worker_, &EngineWorker::modelOpened, this, [this](const ModelInfo& model) {
        model_ = model;
        canRegenerate_ = false;
        centre_->setCurrentIndex(0);
        updateGauge(nullptr);
    });
    connect(worker_, &EngineWorker::modelMissing, this, [this](const QString& expected) {
        firstRunText_->setText(
            tr("<h2>Welcome to Glimpse</h2>"
               "<p>Glimpse answers questions about your documents with a language model that runs on this "
               "computer. It needs a model file in GGUF format (a Llama- or Qwen-family model).</p>"
               "<p>The default model, SmolLM2-135M-Instruct, is not installed. Install it with the "
               "<b>glimpse-default-model</b> package, or fetch it with <code>scripts/fetch-model</code> from the "
               "Glimpse sources; it is looked for at<br><code>%1</code></p>"
               "<p>Or choose a GGUF model file you already have.</p>")
                .arg(expected.toHtmlEscaped()));
        centre_->setCurrentIndex(1);
        gauge_->setText(tr("No model"));
    });
    connect(worker_, &EngineWorker::sessionsListed, this, [this](const QList<SessionInfo>& list) { sessions_.setSessions(list); });
    connect(worker_, &EngineWorker::currentSession, this, [this](const SessionInfo& s) {
        currentSession_ = s;
        selectCurrentSession();
    });
    connect(worker_, &EngineWorker::sessionOpened, this, [this](const OpenedSession& s) {
        currentSession_ = s.session;
        canRegenerate_ = false;
        documents_.setDocuments(s.documents);
        messages_.setTurns(s.turns);
        selectCurrentSession();
        if (s.restored)
            statusBar()->showMessage(tr("Session restored: %1 of KV cache loaded in %2 s; no need to read the documents again.")
                                         .arg(mib(s.snapshotBytes))
                                         .arg(s.loadSeconds, 0, 'f', 2),
                                     10000);
    });
    connect(worker_, &EngineWorker::sessionCleared, this, [this] {
        currentSession_ = {};
        canRegenerate_ = false;
        documents_.setDocuments({});
        messages_.setTurns({});
        sessionList_->clearSelection();
    });
    connect(worker_, &EngineWorker::documentAdded, this, [this](const DocumentInfo& d) {
        documents_.add(d);
        canRegenerate_ = false;   // the next question reads the documents again
        render();
    });
    connect(worker_, &EngineWorker::documentsKept, this, [this](const QList<double>& s) { documents_.setKeptShares(s); });
    connect(worker_, &EngineWorker::documentRemoved, this, [this](int row) {
        documents_.remove(row);
        canRegenerate_ = false;
        render();
    });
    connect(worker_, &EngineWorker::progress, this, [this](const ReadingProgress& p) {
        progressBox_->show();
        progress_->setValue(int(p.fraction * 1000));
        QString text = p.stage;
        if (p.secondsLeft > 0) text += tr(" · %1 s left").arg(p.secondsLeft, 0, 'f', 0);
        if (p.tokensPerSecond > 0) text += tr(" · %1 tok/s").arg(p.tokensPerSecond, 0, 'f', 0);
        progressText_->setText(text);
    });
    connect(worker_, &EngineWorker::answerPiece, this, [this](const QString& piece) {
        progressBox_->hide();
        messages_.appendToAnswer(piece);
    });
    connect(worker_, &EngineWorker::turnFinished, this, [this](const TurnInfo& turn) {
        messages_.finishAnswer(turn);
        canRegenerate_ = true;
        regenerating_ = false;
        render();   // a finished answer is rendered once, at once
        updateGauge(&turn);
    });
    connect(worker_, &EngineWorker::failed, this, [this](const QString& message, bool) {
        if (regenerating_ && !messages_.messages().isEmpty() && messages_.messages().last().text.isEmpty())
            messages_.restoreLastAnswer(previousAnswer_);
        regenerating_ = false;
        messages_.dropUnansweredQuestion();
        showError(message);
    });
    connect(worker_, &EngineWorker::notice, this, &MainWindow::showNotice);
    connect(worker_, &EngineWorker::idle, this, [this] { setBusy(false); });
}

void MainWindow::run(std::function<void(EngineWorker&)> work) {
    setBusy(true);
    QMetaObject::invokeMethod(worker_, [w = worker_, work = std::move(work)] { work(*w); }, Qt::QueuedConnection);
}

void MainWindow::setBusy(bool busy) {
    busy_ = busy;
    send_->setEnabled(!busy);
    stop_->setEnabled(busy);
    removeDocument_->setEnabled(!busy);
    sessionList_->setEnabled(!busy);
    if (!busy) progressBox_->hide();
}

bool MainWindow::showsFirstRun() const { return centre_->currentIndex() == 1; }

void MainWindow::addDocuments(const QStringList& paths) {
    if (paths.isEmpty()) return;
    error_->hide();
    run([paths](EngineWorker& w) { w.addDocuments(paths); });
}

void MainWindow::removeDocument(int row) {
    if (busy_ || row < 0 || row >= documents_.rowCount()) return;
    error_->hide();
    run([row](EngineWorker& w) { w.removeDocument(row); });
}

void MainWindow::ask(const QString& question) {
    const QString q = question.trimmed();
    if (q.isEmpty() || busy_) return;
    error_->hide();
    notice_->hide();
    input_->clear();
    messages_.addQuestion(q);
    run([q](EngineWorker& w) { w.ask(q); });
}

void MainWindow::regenerate() {
    if (busy_ || !canRegenerate_ || messages_.messages().isEmpty() || messages_.messages().last().question) return;
    error_->hide();
    notice_->hide();
    regenerating_ = true;
    previousAnswer_ = messages_.restartLastAnswer();
    run([](EngineWorker& w) { w.regenerate(); });
}

void MainWindow::newSession() {
    if (busy_) return;
    error_->hide();
    notice_->hide();
    run([](EngineWorker& w) { w.newSession(); });
}

void MainWindow::openSession(qint64 id) {
    if (busy_ || id == currentSession_.id) return;
    error_->hide();
    notice_->hide();
    run([id](EngineWorker& w) { w.openSession(id); });
}

void MainWindow::renameSession(qint64 id, const QString& name) {
    if (busy_) return;
    error_->hide();
    run([id, name](EngineWorker& w) { w.renameSession(id, name); });
}

void MainWindow::deleteSession(qint64 id, bool confirmed) {
    const int row = sessions_.rowOf(id);
    if (busy_ || row < 0) return;
    if (!confirmed &&
        QMessageBox::question(this, tr("Delete session"),
                              tr("Delete the session “%1” with its questions, answers and saved reading? "
                                 "This cannot be undone.").arg(sessions_.sessions()[row].name),
                              QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) != QMessageBox::Yes)
        return;
    error_->hide();
    run([id](EngineWorker& w) { w.deleteSession(id); });
}

void MainWindow::applySettings(const AppSettings& settings) {
    settings_ = settings;
    settings_.save();
    error_->hide();
    notice_->hide();
    const ModelChoice choice = settings_.modelChoice();
    const ConversationOptions options = settings_.conversationOptions();
    gauge_->setText(tr("Opening the model…"));
    run([choice, options](EngineWorker& w) { w.reconfigure(choice, options); });
}

void MainWindow::showSettings() {
    if (busy_) return;
    SettingsDialog dialog(settings_, this);
    if (dialog.exec() == QDialog::Accepted) applySettings(dialog.settings());
}

void MainWindow::chooseModelFile() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Model file"), {}, tr("GGUF models (*.gguf);;All files (*)"));
    if (file.isEmpty()) return;
    AppSettings s = settings_;
    s.model = file;
    applySettings(s);
}

void MainWindow::showError(const QString& message) {
    error_->setText(message);
    error_->show();
}

void MainWindow::showNotice(const QString& message) {
    notice_->setText(message);
    notice_->show();
}

qint64 MainWindow::selectedSessionId() const {
    const QModelIndex i = sessionList_->currentIndex();
    return i.isValid() ? i.data(SessionListModel::IdRole).toLongLong() : currentSession_.id;
}

void MainWindow::selectCurrentSession() {
    const int row = sessions_.rowOf(currentSession_.id);
    if (row < 0) return;
    const QModelIndex i = sessionFilter_.mapFromSource(sessions_.index(row));
    if (i.isValid()) sessionList_->setCurrentIndex(i);
}

void MainWindow::scheduleRender() {
    if (!renderTimer_.isActive()) renderTimer_.start();
}

void MainWindow::render() {
    renderTimer_.stop();
    ++renders_;
    QString markdown;
    const auto& all = messages_.messages();
    for (int i = 0; i < all.size(); ++i) {
        const auto& m = all[i];
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
        footer += QString(" · [%1](copy:%2)").arg(tr("copy")).arg(i);
        if (i == all.size() - 1 && canRegenerate_) footer += QString(" · [%1](regenerate:)").arg(tr("regenerate"));
        markdown += footer + "\n\n---\n\n";
    }
    conversation_->setMarkdown(markdown);
    conversation_->verticalScrollBar()->setValue(conversation_->verticalScrollBar()->maximum());
}

void MainWindow::openLink(const QUrl& link) {
    // page:<document>:<page> opens the page with the passages of the last answer that cited
    // it; copy:<message> copies an answer; regenerate: samples the last answer again.
    const QStringList parts = link.toString().split(':');
    if (parts.first() == "regenerate") return regenerate();
    if (parts.size() == 2 && parts[0] == "copy") {
        const int i = parts[1].toInt();
        if (i >= 0 && i < messages_.messages().size()) {
            QApplication::clipboard()->setText(messages_.messages()[i].text);
            statusBar()->showMessage(tr("Answer copied"), 3000);
        }
        return;
    }
    if (parts.size() != 3 || parts[0] != "page") return;
    const int document = parts[1].toInt(), page = parts[2].toInt();
    for (auto it = messages_.messages().crbegin(); it != messages_.messages().crend(); ++it)
        for (const auto& c : it->turn.cited)
            if (c.document == document && c.page == page && !c.passages.isEmpty())
                return showPage(document, page, c.passages);
    showPage(document, page, {});
}

void MainWindow::showPage(int document, int page, const QList<QPair<int, int>>& passages) {
    if (document < 0 || document >= documents_.documents().size()) return;
    const DocumentInfo& d = documents_.documents()[document];
    for (const auto& p : d.pageTexts)
        if (p.number == page) {
            auto* view = new PageView(d, page, passages, this);
            view->setAttribute(Qt::WA_DeleteOnClose);
            view->show();
            return;
        }
}

void MainWindow::updateGauge(const TurnInfo* turn) {
    QString text;
    if (turn) text = tr("KV %1 kept of %2 · ").arg(mib(turn->keptBytes), mib(turn->fullBytes));
    text += tr("budget %1 · %2 · %3 · CPU · %4 threads").arg(model_.budget).arg(model_.policy, model_.name).arg(model_.threads);
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
