// LookaheadKV training prompts: deterministic per (seed, index), lengths within the range
// asked, a mix of evaluation tasks and document instructions, seeds that can never be the
// evaluation's, text only from TRAIN documents of a corpus disjoint from the eval corpus, and
// never a task family held out of training.

#include "engine/error.h"
#include "app/eval/eval_task.h"
#include "app/eval/haystack_corpus.h"
#include "app/eval/held_out_tasks.h"
#include "app/eval/seeded_random.h"
#include "app/eval/training_prompts.h"

#include "test_support.h"

#include <QtTest/QtTest>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

using glimpse::eval::EvalSplit;
using glimpse::eval::HaystackCorpus;
using glimpse::eval::generate_training_prompt;
using glimpse::eval::TrainingPrompt;
using glimpse::eval::TrainingPromptOptions;

using test_support::error_of;

namespace {

// One token per whitespace-separated word: a fake tokenizer with exactly known counts.
int count_words(std::string_view text) {
    int count = 0;
    bool in_word = false;
    for (char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++count;
        in_word = !space;
    }
    return count;
}

const std::string kTrainingCorpus = std::string(GLIMPSE_SOURCE_DIR) + "/resources/lookahead/training_corpus.jsonl";
const std::string kEvalCorpus = std::string(GLIMPSE_SOURCE_DIR) + "/resources/eval/haystack.jsonl";

const HaystackCorpus& training_corpus() {
    static const HaystackCorpus corpus = HaystackCorpus::load(kTrainingCorpus);
    return corpus;
}

// (sources, paragraph texts) of a JSON-lines corpus file.
std::pair<std::set<std::string>, std::set<std::string>> corpus_contents(const std::string& path) {
    std::set<std::string> sources, texts;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        const auto item = nlohmann::json::parse(line);
        sources.insert(item.at("source").get<std::string>());
        texts.insert(item.at("text").get<std::string>());
    }
    return {sources, texts};
}

TrainingPrompt make(uint64_t base, uint64_t index, TrainingPromptOptions options = {.min_tokens = 300, .max_tokens = 900}) {
    return generate_training_prompt(training_corpus(), base, index, options, count_words);
}

bool is_document_instruction(const std::string& s) {
    return s == "qa" || s == "summarise" || s == "list" || s == "explain" || s == "quote";
}

}  // namespace

class TestTrainingPrompts : public QObject {
    Q_OBJECT

private slots:
    void training_corpus_shares_nothing_with_the_eval_corpus() {
        const auto [train_sources, train_texts] = corpus_contents(kTrainingCorpus);
        const auto [eval_sources, eval_texts] = corpus_contents(kEvalCorpus);
        QVERIFY(train_sources.size() > 100);
        QVERIFY(!eval_sources.empty());
        for (const auto& s : train_sources) QVERIFY2(!eval_sources.count(s), s.c_str());
        for (const auto& t : train_texts) QVERIFY2(!eval_texts.count(t), t.c_str());
    }

    void same_seed_and_index_give_the_same_prompt() {
        for (uint64_t i : {0u, 1u, 17u}) {
            const auto a = make(5, i), b = make(5, i);
            QCOMPARE(a.text, b.text);
            QCOMPARE(a.source, b.source);
            QCOMPARE(a.instruction, b.instruction);
            QCOMPARE(a.seed, b.seed);
        }
        QVERIFY(make(5, 0).text != make(5, 1).text);
        QVERIFY(make(5, 0).text != make(6, 0).text);
    }

    // Follow-up questions come from the prompt's seed alone, are about its text, and differ
    // from the first question and from each other; a prompt cut from its question is refused.
    void follow_up_questions_ask_about_the_same_text() {
        int about_words = 0;
        for (uint64_t i = 0; i < 12; ++i) {
            const auto prompt = make(5, i);
            const auto asked = glimpse::eval::follow_up_questions(prompt, 2);
            QCOMPARE(asked, glimpse::eval::follow_up_questions(make(5, i), 2));
            QCOMPARE(asked.size(), size_t(2));
            QVERIFY(asked[0] != asked[1]);
            for (const auto& q : asked) {
                QVERIFY(!q.empty());
                QVERIFY(q != prompt.question);
                // A quoted focus (a word, a passage's opening) is taken from the text.
                const size_t open = q.find('"'), close = q.rfind('"');
                if (open == std::string::npos || close == open) continue;
                std::string focus = q.substr(open + 1, close - open - 1);
                if (focus.ends_with("...")) focus.resize(focus.size() - 3);
                QVERIFY2(prompt.text.find(focus) != std::string::npos, focus.c_str());
                ++about_words;
            }
            QVERIFY(glimpse::eval::follow_up_questions(prompt, 0).empty());
        }
        QVERIFY(about_words > 0);
        auto cut = make(5, 0);
        cut.text += " and more";
        QVERIFY(error_of([&] { glimpse::eval::follow_up_questions(cut, 1); }).contains("does not end with its question"));
    }

    void seeds_never_coincide_with_the_evaluation() {
        std::set<uint64_t> eval_seeds;
        for (uint64_t base : {0ull, 1ull, 2ull, 5ull, 42ull})
            for (uint64_t i = 0; i < 2000; ++i) eval_seeds.insert(glimpse::eval::eval_sample_seed(EvalSplit::Eval, base, i));
        for (uint64_t base : {0ull, 1ull, 2ull, 5ull, 42ull})
            for (uint64_t i = 0; i < 2000; ++i) {
                const uint64_t s = glimpse::eval::training_prompt_seed(base, i);
                QCOMPARE(s >> 63, uint64_t{0});
                QVERIFY(!eval_seeds.count(s));
            }
        QCOMPARE(make(1, 3).seed, glimpse::eval::training_prompt_seed(1, 3));
    }

    void lengths_mix_and_documents() {
        const auto [eval_sources, eval_texts] = corpus_contents(kEvalCorpus);
        std::set<std::string> instructions, task_sources;
        int documents = 0, tasks = 0;
        for (uint64_t i = 0; i < 80; ++i) {
            const auto p = make(11, i);
            QVERIFY2(p.target_tokens >= 300 && p.target_tokens <= 900, qPrintable(QString::number(p.target_tokens)));
            QVERIFY2(p.prompt_tokens <= p.target_tokens, qPrintable(QString("%1 > %2").arg(p.prompt_tokens).arg(p.target_tokens)));
            QCOMPARE(p.prompt_tokens, count_words(p.text));
            QVERIFY2(p.prompt_tokens >= p.target_tokens * 3 / 4, qPrintable(QString("%1 of %2").arg(p.prompt_tokens).arg(p.target_tokens)));
            if (p.source.starts_with("doc:")) QVERIFY(!p.documents.empty());   // some tasks (word lists) use no corpus text
            for (const auto& d : p.documents) {
                QCOMPARE(HaystackCorpus::split_of(d), EvalSplit::Train);
                QVERIFY2(!eval_sources.count(d), d.c_str());
            }
            instructions.insert(p.instruction);
            if (p.source.starts_with("doc:")) {
                ++documents;
                QVERIFY(is_document_instruction(p.instruction));
                QVERIFY(std::find(p.documents.begin(), p.documents.end(), p.source.substr(4)) != p.documents.end());
            } else {
                ++tasks;
                QCOMPARE(p.source, p.instruction);
                glimpse::eval::eval_task_from_name(p.source);   // throws for a name that is not a task
                task_sources.insert(p.source);
            }
            // A question about a word asks about one that is in the text.
            if (p.instruction == "qa" || p.instruction == "quote") {
                const size_t open = p.text.rfind("\""), close = p.text.rfind("\"", open - 1);
                const std::string word = p.text.substr(close + 1, open - close - 1);
                QVERIFY(!word.empty());
                QVERIFY2(p.text.find(word) < close, word.c_str());
            }
        }
        QVERIFY2(documents >= 20 && tasks >= 20, qPrintable(QString("%1 documents, %2 tasks").arg(documents).arg(tasks)));
        for (const char* kind : {"qa", "summarise", "list", "explain", "quote"}) QVERIFY2(instructions.count(kind), kind);
        QVERIFY(task_sources.size() >= 5);
    }

    void held_out_families_are_never_generated() {
        using glimpse::eval::EvalTask;
        // The fixed list: whole families, a needle one and the QA one, and enough left to train on.
        const auto held_out = glimpse::eval::held_out_eval_tasks();
        QCOMPARE(std::vector<EvalTask>(held_out.begin(), held_out.end()),
                 (std::vector<EvalTask>{EvalTask::NeedleMultiValue, EvalTask::FactQa}));
        QVERIFY(glimpse::eval::eval_task_name_is_held_out("qa_fact"));
        QVERIFY(glimpse::eval::eval_task_name_is_held_out("niah_multivalue"));
        QVERIFY(!glimpse::eval::eval_task_name_is_held_out("niah_single"));
        QVERIFY(!glimpse::eval::eval_task_name_is_held_out("document"));
        const auto training = glimpse::eval::training_eval_tasks();
        QCOMPARE(training.size() + held_out.size(), glimpse::eval::all_eval_tasks().size());
        for (EvalTask task : training) QVERIFY(!glimpse::eval::eval_task_is_held_out(task));

        // Many prompts from several streams: every generated task appears but those two.
        std::set<std::string> sources;
        for (uint64_t base : {3ull, 19ull})
            for (uint64_t i = 0; i < 150; ++i) {
                const auto p = make(base, i, {.min_tokens = 600, .max_tokens = 900});
                QVERIFY2(!glimpse::eval::eval_task_name_is_held_out(p.source), p.source.c_str());
                QVERIFY2(p.source != "qa_fact" && p.source != "niah_multivalue", p.source.c_str());
                if (!p.source.starts_with("doc:")) sources.insert(p.source);
            }
        QVERIFY2(sources.size() >= 6, qPrintable(QString::number(sources.size())));
        QVERIFY(sources.count("niah_single") && sources.count("niah_multikey"));
    }

    void bad_options_are_errors() {
        QVERIFY(error_of([] { make(1, 0, {.min_tokens = 64, .max_tokens = 900}); }).contains("at least 128"));
        QVERIFY(error_of([] { make(1, 0, {.min_tokens = 600, .max_tokens = 500}); }).contains("below the minimum"));
        const auto eval_only = HaystackCorpus::from_paragraphs({{"x", "Some words here."}});
        if (HaystackCorpus::split_of("x") == EvalSplit::Eval)
            QVERIFY(error_of([&] { generate_training_prompt(eval_only, 1, 0, {}, count_words); }).contains("no TRAIN documents"));
    }
};

QTEST_GUILESS_MAIN(TestTrainingPrompts)
#include "test_training_prompts.moc"
