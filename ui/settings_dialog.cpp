#include "ui/settings_dialog.h"

#include "engine/default_model.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model_summary.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>

#include <stdexcept>

namespace glimpse::ui {

QString describeModelFile(const QString& path, bool* usable) {
    if (usable) *usable = false;
    const QString file = path.isEmpty() ? QString::fromStdString(engine::default_model_path().string()) : path;
    if (!QFileInfo::exists(file))
        return path.isEmpty() ? QObject::tr("The default model is not installed (expected at %1).").arg(file)
                              : QObject::tr("%1 does not exist.").arg(file);
    try {
        const auto gguf = engine::GgufFile::open(file.toStdString());
        const auto s = engine::summarize_model(gguf);
        if (usable) *usable = true;
        return QObject::tr("%1, %2 M parameters, %3 layers, context %4, %5 MB")
            .arg(QString::fromStdString(s.architecture))
            .arg(double(s.parameters) / 1e6, 0, 'f', 1)
            .arg(s.layers)
            .arg(s.context_length)
            .arg(double(s.weight_bytes) / 1e6, 0, 'f', 0);
    } catch (const std::exception& e) {
        return QObject::tr("Not a model Glimpse can use: %1").arg(QString::fromUtf8(e.what()));
    }
}

SettingsDialog::SettingsDialog(const AppSettings& s, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    model_ = new QLineEdit(s.model);
    model_->setPlaceholderText(tr("The default model (SmolLM2-135M-Instruct)"));
    model_->setAccessibleName(tr("Model file"));
    auto* browse = new QPushButton(tr("Choose…"));
    browse->setAccessibleName(tr("Choose a model file"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Model file"), {}, tr("GGUF models (*.gguf);;All files (*)"));
        if (!f.isEmpty()) model_->setText(f);
    });
    connect(model_, &QLineEdit::editingFinished, this, &SettingsDialog::describeModel);
    connect(model_, &QLineEdit::textChanged, this, &SettingsDialog::describeModel);
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(model_, 1);
    modelRow->addWidget(browse);
    modelSummary_ = new QLabel;
    modelSummary_->setWordWrap(true);
    modelSummary_->setAccessibleName(tr("About the model file"));

    adapter_ = new QLineEdit(s.adapter);
    adapter_->setPlaceholderText(tr("The model's shipped adapter, if any"));
    adapter_->setAccessibleName(tr("LookaheadKV adapter file"));

    policy_ = new QComboBox;
    policy_->setAccessibleName(tr("Eviction policy"));
    policy_->addItem(tr("Automatic (lookahead with an adapter, else snapkv)"), QString());
    for (const auto& info : engine::eviction_policies()) {
        policy_->addItem(QString::fromStdString(info.name), QString::fromStdString(info.name));
        policy_->setItemData(policy_->count() - 1, QString::fromStdString(info.summary), Qt::ToolTipRole);
    }
    policy_->setCurrentIndex(std::max(0, policy_->findData(s.policy)));

    budget_ = new QSpinBox;
    budget_->setRange(16, 1 << 20);
    budget_->setValue(int(s.budget));
    budget_->setSuffix(tr(" tokens"));
    budget_->setAccessibleName(tr("KV budget per head and layer"));
    kvType_ = new QComboBox;
    kvType_->setAccessibleName(tr("KV cache precision"));
    kvType_->addItem(tr("f16 (half of f32's memory)"), QStringLiteral("f16"));
    kvType_->addItem(tr("q8_0 (about a quarter, less exact)"), QStringLiteral("q8_0"));
    kvType_->addItem(tr("f32 (exact, twice f16's memory)"), QStringLiteral("f32"));
    kvType_->setCurrentIndex(std::max(0, kvType_->findData(s.kvType)));
    threads_ = new QSpinBox;
    threads_->setRange(0, 1024);
    threads_->setSpecialValueText(tr("All (%1)").arg(QThread::idealThreadCount()));
    threads_->setValue(s.threads);
    threads_->setAccessibleName(tr("Threads"));
    temperature_ = new QDoubleSpinBox;
    temperature_->setRange(0.0, 2.0);
    temperature_->setSingleStep(0.1);
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    temperature_->setValue(s.temperature);
    temperature_->setAccessibleName(tr("Temperature"));
    topP_ = new QDoubleSpinBox;
    topP_->setRange(0.05, 1.0);
    topP_->setSingleStep(0.05);
    topP_->setValue(s.topP);
    topP_->setAccessibleName(tr("Top-p"));
    maxTokens_ = new QSpinBox;
    maxTokens_->setRange(1, 32768);
    maxTokens_->setValue(s.maxAnswerTokens);
    maxTokens_->setAccessibleName(tr("Longest answer in tokens"));
    systemPrompt_ = new QPlainTextEdit(s.systemPrompt);
    systemPrompt_->setPlaceholderText(tr("The model's own"));
    systemPrompt_->setMaximumHeight(80);
    systemPrompt_->setAccessibleName(tr("System prompt"));

    auto* form = new QFormLayout;
    form->addRow(tr("Model:"), modelRow);
    form->addRow(QString(), modelSummary_);
    form->addRow(tr("Adapter:"), adapter_);
    form->addRow(tr("KV policy:"), policy_);
    form->addRow(tr("KV budget:"), budget_);
    form->addRow(tr("KV precision:"), kvType_);
    form->addRow(tr("Threads:"), threads_);
    form->addRow(tr("Temperature:"), temperature_);
    form->addRow(tr("Top-p:"), topP_);
    form->addRow(tr("Longest answer:"), maxTokens_);
    form->addRow(tr("System prompt:"), systemPrompt_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    describeModel();
    resize(620, 0);
}

void SettingsDialog::describeModel() {
    bool usable = false;
    modelSummary_->setText(describeModelFile(model_->text().trimmed(), &usable));
    modelSummary_->setStyleSheet(usable ? QString() : QStringLiteral("color: #a40000;"));
}

AppSettings SettingsDialog::settings() const {
    AppSettings s;
    s.model = model_->text().trimmed();
    s.adapter = adapter_->text().trimmed();
    s.policy = policy_->currentData().toString();
    s.budget = budget_->value();
    s.kvType = kvType_->currentData().toString();
    s.threads = threads_->value();
    s.temperature = temperature_->value();
    s.topP = topP_->value();
    s.maxAnswerTokens = maxTokens_->value();
    s.systemPrompt = systemPrompt_->toPlainText().trimmed();
    return s;
}

}  // namespace glimpse::ui
