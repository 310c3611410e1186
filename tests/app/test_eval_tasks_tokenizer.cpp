// Length targeting with the default model's real tokenizer: every task's prompt is within a
// few percent of the target and never over it.

#include "app/eval/answer_match.h"
#include "app/eval/eval_task.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "test_support.h"

#include <QtTest/QtTest>

using namespace glimpse::eval;

class EvalTasksWithTokenizer : public QObject {
    Q_OBJECT

private slots:
    void prompts_fit_real_token_targets() {
        const auto gguf = engine::GgufFile::open(test_support::default_model());
        const auto tokenizer = engine::Tokenizer::from_gguf(gguf);
        const TokenCounter count = [&](std::string_view text) {
            return static_cast<int>(tokenizer.encode(text, false, false).size());
        };
        const auto corpus = HaystackCorpus::load(test_support::source_dir() / "resources/eval/haystack.jsonl");
        for (int target : {1000, 8000}) {
            for (EvalTask task : all_eval_tasks()) {
                const EvalSample sample = generate_eval_sample(corpus, {task, EvalSplit::Eval, 9, 2, target}, count);
                const int tokens = count(sample.prompt());
                QCOMPARE(sample.prompt_tokens, tokens);
                QVERIFY2(tokens <= target, sample.task.c_str());
                QVERIFY2(tokens >= target * 0.97, (sample.task + " " + std::to_string(tokens)).c_str());
                if (!sample.answers.empty()) QCOMPARE(answer_score(sample.document, sample.answers).value(), 1.0);
            }
        }
    }
};

QTEST_GUILESS_MAIN(EvalTasksWithTokenizer)
#include "test_eval_tasks_tokenizer.moc"
