#pragma once
// The Settings dialog: model file (with what `glimpse-cli inspect` says of it, or why it is
// not a usable GGUF), LookaheadKV adapter, policy, budget, threads, sampling, answer length
// and system prompt.

#include "ui/app_settings.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace glimpse::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);

    AppSettings settings() const;
    QLineEdit* modelEdit() const { return model_; }
    // What the model file is, or why it cannot be used.
    QLabel* modelSummary() const { return modelSummary_; }
    QComboBox* policyBox() const { return policy_; }
    QSpinBox* budgetBox() const { return budget_; }

private:
    void describeModel();

    QLineEdit* model_ = nullptr;
    QLabel* modelSummary_ = nullptr;
    QLineEdit* adapter_ = nullptr;
    QComboBox* policy_ = nullptr;
    QSpinBox* budget_ = nullptr;
    QComboBox* kvType_ = nullptr;
    QSpinBox* threads_ = nullptr;
    QDoubleSpinBox* temperature_ = nullptr;
    QDoubleSpinBox* topP_ = nullptr;
    QSpinBox* maxTokens_ = nullptr;
    QPlainTextEdit* systemPrompt_ = nullptr;
};

// "llama, 134.5 M parameters, 30 layers, context 8192, 98 MB" for a GGUF file, or a sentence
// saying why it is not a model Glimpse can use.
QString describeModelFile(const QString& path, bool* usable = nullptr);

}  // namespace glimpse::ui
