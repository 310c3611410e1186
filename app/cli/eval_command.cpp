// glimpse-cli eval: eviction policies against the full cache on generated long-context
// tasks, or on a person's own documents with their questions (--doc, --questions), in the
// question-aware and context-only settings; prompts past the context window are read in
// windows, beside the truncation baselines. Writes a CSV, a Markdown summary of means with 95%
// confidence intervals (overall, per task family with the held-out families apart), and one
// PNG plot per metric. SpecKV drafting with the model itself is labelled an oracle.

#include "cli/commands.h"
#include "cli/document_loading.h"
#include "store/stored_conversation.h"
#include "cli/model_options.h"
#include "core/data_dir.h"
#include "engine/error.h"
#include "app/eval/document_questions.h"
#include "app/eval/eval_task.h"
#include "app/eval/eviction_eval.h"
#include "app/eval/haystack_corpus.h"
#include "engine/eviction/policy_registry.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "eval/csv_report.h"
#include "eval/markdown_report.h"
#include "eval/metric_plot.h"
#include "eval/progress_bar.h"
#include "prompt/document_prompt.h"

#include <CLI/CLI.hpp>

#include <QDir>
#include <QFile>
#include <QGuiApplication>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>

namespace glimpse::cli {
namespace {

struct EvalOptions {
    ModelOptions model;
    std::vector<std::string> policies{"full", "streaming", "snapkv", "pyramidkv", "h2o", "laq", "speckv", "lookahead"};
    std::vector<int64_t> budgets{64, 128, 256, 512};
    std::vector<std::string> tasks{"niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery",
                                   "variable_tracking", "common_words", "qa_fact", "free_summary"};
    std::vector<int> lengths{2048, 4096};
    int samples = 1;
    uint64_t seed = 1;
    int64_t response_tokens = 32;
    std::string settings = "both";
    std::string corpus;   // empty: eval/haystack.jsonl in the data directory
    std::string out = "eval-out";
    std::vector<int64_t> recent_windows;   // lookahead: one candidate per value
    std::vector<std::string> compare_adapters;   // lookahead: more adapters, on the same prefills
    bool policies_given = false;   // else lookahead is left out for a model without an adapter
    DocumentOptions documents;     // --doc: the person's own documents instead of generated tasks
    std::string questions;         // with --doc: the JSON list of questions and accepted answers
};

// The prompt of a question about the documents, cut where the question starts.
glimpse::eval::EvictionPrompt document_prompt(const LoadedModel& m, const std::vector<PromptDocument>& documents,
                                              const glimpse::eval::DocumentQuestion& q) {
    const DocumentPrompt whole = build_document_prompt(m.tokenizer, m.chat, documents, q.question, "");
    auto [context, question] = split_at_question(m.tokenizer, m.chat, whole.text, "Question: " + q.question);
    glimpse::eval::EvictionPrompt p;
    p.task = "document";
    p.context_tokens = std::move(context);
    p.question_tokens = std::move(question);
    p.length = static_cast<int64_t>(p.context_tokens.size() + p.question_tokens.size());
    p.answers = q.answers;
    return p;
}

// The chat prompt of a sample, cut where the question starts: the document part is what
// the context-only setting compresses before the question is known.
glimpse::eval::EvictionPrompt chat_prompt(const LoadedModel& m, const glimpse::eval::EvalSample& sample) {
    std::vector<engine::ChatMessage> messages{{"user", sample.prompt()}};
    auto [context, question] = split_at_question(m.tokenizer, m.chat, m.chat.render(messages, true), "\n\n" + sample.question);
    glimpse::eval::EvictionPrompt p;
    p.task = sample.task;
    p.length = sample.target_tokens;
    p.context_tokens = std::move(context);
    p.question_tokens = std::move(question);
    p.answers = sample.answers;
    return p;
}

// How a compared adapter is labelled: its file name without ".gguf" and ".lookahead".
std::string adapter_name(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    for (std::string_view suffix : {".gguf", ".lookahead"})
        if (name.size() > suffix.size() && name.ends_with(suffix)) name.resize(name.size() - suffix.size());
    return name;
}

void run_eval(const EvalOptions& opt) {
    // The plots are drawn with QPainter, which needs a GUI application (never shown).
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "glimpse-cli";
    static char* argv[] = {name, nullptr};
    QGuiApplication gui(argc, argv);

    // The model with its adapter, if it has one; each policy below starts from these options.
    // SpecKV's default draft is as long as the scored response.
    ModelChoice choice = model_choice(opt.model, opt.response_tokens);
    choice.policy.clear();
    const auto loaded = open_model(choice);
    const bool on_documents = !opt.documents.paths.empty();
    if (on_documents != !opt.questions.empty())
        throw engine::Error("eval: --doc and --questions go together (the questions are about the documents)");

    std::vector<glimpse::eval::EvictionCandidate> candidates;
    std::vector<std::string> policies = opt.policies;
    if (on_documents && !opt.policies_given) {   // documents past the window: compare with truncation
        policies.push_back("truncate-first");
        policies.push_back("truncate-last");
    }
    for (const auto& policy : policies) {
        if (policy == "full") {
            // The f32 reference is always measured (where the prompt fits); a full cache at
            // another type is a candidate, scored against it.
            if (opt.model.kv_type != "f32")
                candidates.push_back({"full-" + opt.model.kv_type, 0, engine::make_policy("full", loaded.policy_options)});
            continue;
        }
        if (policy == "truncate-first" || policy == "truncate-last") {
            candidates.push_back({policy, 0, nullptr,
                                  policy == "truncate-first" ? glimpse::eval::Truncation::First : glimpse::eval::Truncation::Last});
            continue;
        }
        const bool own_adapter = policy != "lookahead" || !loaded.adapter_path.empty();
        if (!own_adapter && opt.compare_adapters.empty()) {
            if (opt.policies_given)
                throw engine::Error("eval: no LookaheadKV adapter for " + loaded.path.filename().string() +
                                    "; pass --adapter FILE or leave lookahead out of --policies");
            std::fprintf(stderr, "eval: no LookaheadKV adapter for this model, so lookahead is left out\n");
            continue;
        }
        if (!own_adapter)
            std::fprintf(stderr, "eval: no LookaheadKV adapter of this model's own; the --compare-adapters ones run\n");
        // SpecKV: the model drafts for itself unless given a pair; lookahead: the model's
        // adapter, loaded once by open_model and shared by every budget, then each of
        // --compare-adapters, labelled lookahead@NAME.
        std::vector<std::pair<std::string, engine::PolicyOptions>> variants;
        if (own_adapter) variants.emplace_back(policy, loaded.policy_options);
        if (policy == "lookahead")
            for (const auto& path : opt.compare_adapters) {
                engine::PolicyOptions po = loaded.policy_options;
                po.adapter = std::make_shared<const engine::LookaheadAdapter>(engine::LookaheadAdapter::load(path, *loaded.model));
                variants.emplace_back(policy + "@" + adapter_name(path), std::move(po));
            }
        // lookahead runs once per --recent-windows value (else with the adapter's own setting).
        std::vector<int64_t> recent_windows{opt.model.recent_window};
        if (policy == "lookahead" && !opt.recent_windows.empty()) recent_windows = opt.recent_windows;
        for (const auto& [name, base] : variants)
            for (int64_t recent : recent_windows)
                for (int64_t budget : opt.budgets) {
                    engine::PolicyOptions po = base;
                    po.budget = budget;
                    po.recent_window = recent;
                    auto keep = engine::make_policy(policy, po);
                    // SpecKV drafting with the model itself is labelled as the oracle it is.
                    const std::string label = policy != "lookahead" ? engine::policy_label(*keep, *loaded.model)
                                              : recent > 0          ? name + "-recent" + std::to_string(recent)
                                                                    : name;
                    candidates.push_back({label, budget, std::move(keep)});
                }
    }
    if (!opt.compare_adapters.empty() &&
        std::none_of(policies.begin(), policies.end(), [](const std::string& p) { return p == "lookahead"; }))
        throw engine::Error("eval: --compare-adapters compares LookaheadKV adapters; add lookahead to --policies");
    glimpse::eval::EvictionEvalOptions eval_options;
    eval_options.threads = opt.model.threads;
    eval_options.response_tokens = opt.response_tokens;
    eval_options.question_aware = opt.settings != "context-only";
    eval_options.context_only = opt.settings != "question-aware";
    eval_options.read_window = opt.model.read_window;
    eval_options.kv_type = engine::parse_kv_type(opt.model.kv_type);

    auto count_tokens = [&](std::string_view text) {
        return static_cast<int>(loaded.tokenizer.encode(text, false, false).size());
    };
    QDir().mkpath(QString::fromStdString(opt.out));
    std::vector<glimpse::eval::EvalRecord> records;
    auto keep_on_disk = [&] {   // what is measured so far: a long run can be stopped at any time
        eval::writeRecordsCsv(QDir(QString::fromStdString(opt.out)).filePath("results.csv"), records);
    };
    if (on_documents) {
        const auto documents = store::prompt_documents(load_documents(opt.documents));
        const auto questions = glimpse::eval::load_document_questions(opt.questions);
        eval::ProgressBar progress(QStringLiteral("eval"), static_cast<qint64>(questions.size()));
        qint64 done = 0;
        for (const auto& q : questions) {
            auto rows = glimpse::eval::evaluate_eviction(loaded.model, loaded.tokenizer, document_prompt(loaded, documents, q),
                                                        candidates, eval_options);
            records.insert(records.end(), rows.begin(), rows.end());
            progress.update(++done);
            keep_on_disk();
        }
        progress.finish();
    } else {
        const auto corpus =
            glimpse::eval::HaystackCorpus::load(opt.corpus.empty() ? data_file("eval/haystack.jsonl").string() : opt.corpus);
        const qint64 total = static_cast<qint64>(opt.tasks.size() * opt.lengths.size()) * opt.samples;
        eval::ProgressBar progress(QStringLiteral("eval"), total);
        qint64 done = 0;
        for (int length : opt.lengths)
            for (const auto& task : opt.tasks)
                for (int i = 0; i < opt.samples; ++i) {
                    glimpse::eval::SampleRequest request;
                    request.task = glimpse::eval::eval_task_from_name(task);
                    request.split = glimpse::eval::EvalSplit::Eval;
                    request.base_seed = opt.seed;
                    request.index = static_cast<uint64_t>(i);
                    request.target_tokens = length;
                    const auto sample = glimpse::eval::generate_eval_sample(corpus, request, count_tokens);
                    auto rows = glimpse::eval::evaluate_eviction(loaded.model, loaded.tokenizer,
                                                                chat_prompt(loaded, sample), candidates, eval_options);
                    records.insert(records.end(), rows.begin(), rows.end());
                    progress.update(++done);
                    keep_on_disk();
                }
        progress.finish();
    }

    const QDir out(QString::fromStdString(opt.out));
    const QString table = eval::markdownSummary(records);
    QFile md(out.filePath("summary.md"));
    if (!md.open(QIODevice::WriteOnly) || md.write(table.toUtf8()) < 0)
        throw engine::Error("cannot write " + md.fileName().toStdString());
    const QStringList plots = eval::writeMetricPlots(records, out.path());
    std::printf("%s\n", table.toUtf8().constData());
    std::printf("wrote %s, %s and %lld plots in %s\n", "results.csv", "summary.md", (long long)plots.size(),
                opt.out.c_str());
}

}  // namespace

void add_eval_command(CLI::App& app) {
    auto opt = std::make_shared<EvalOptions>();
    auto* cmd = app.add_subcommand("eval", "Compare KV eviction policies against the full cache on generated tasks "
                                           "or on your own documents and questions");
    add_model_options(cmd, opt->model);
    add_document_options(cmd, opt->documents);
    cmd->add_option("--questions", opt->questions,
                    "With --doc: a JSON list of {\"q\": question, \"a\": [accepted answers]} about the documents; "
                    "adds the truncate-first and truncate-last baselines unless --policies is given")
        ->check(CLI::ExistingFile);
    auto* policies = cmd->add_option("--policies", opt->policies,
                                     "Policies, comma-separated (default: all; lookahead when the model has an "
                                     "adapter):\n" + engine::describe_policies() +
                                     "\ntruncate-first, truncate-last: baselines that read only the first or the last "
                                     "document tokens that fit the context window, with the full cache")
                         ->delimiter(',');
    cmd->add_option("--budgets", opt->budgets, "KV budgets (tokens per KV head per layer), comma-separated")
        ->delimiter(',');
    cmd->add_option("--tasks", opt->tasks,
                    "Tasks, comma-separated: niah_single, niah_multikey, niah_multivalue, niah_multiquery, "
                    "variable_tracking, common_words, qa_fact, free_summary, free_explain, free_topics "
                    "(niah_multivalue and qa_fact are held out of LookaheadKV training and reported apart)")
        ->delimiter(',');
    cmd->add_option("--lengths", opt->lengths, "Prompt lengths in tokens, comma-separated")->delimiter(',');
    cmd->add_option("--samples", opt->samples, "Samples per task and length")->check(CLI::Range(1, 100000));
    cmd->add_option("--seed", opt->seed, "Base seed; the same seed gives the same prompts");
    cmd->add_option("--response-tokens", opt->response_tokens, "Length of the full-cache response that is scored (and speckv's default draft length)")
        ->check(CLI::Range(1, 4096));
    cmd->add_option("--settings", opt->settings, "question-aware, context-only or both")
        ->check(CLI::IsMember({"both", "question-aware", "context-only"}));
    cmd->add_option("--recent-windows", opt->recent_windows,
                    "lookahead: evaluate once per value of the always-kept recent window, comma-separated "
                    "(reported as lookahead and lookahead-recentN)")
        ->delimiter(',')->check(CLI::Range(0, 1 << 24));
    cmd->add_option("--compare-adapters", opt->compare_adapters,
                    "lookahead: also evaluate these LookaheadKV adapters on the same prompts and prefills, "
                    "comma-separated (reported as lookahead@NAME, NAME the file name without .lookahead.gguf; for a model "
                    "without an adapter of its own, only these)")
        ->delimiter(',')->check(CLI::ExistingFile);
    cmd->add_option("--corpus", opt->corpus, "Haystack corpus (JSON lines; default: eval/haystack.jsonl in the data directory)");
    cmd->add_option("--out", opt->out, "Folder for results.csv, summary.md and the plots");
    cmd->callback([opt, policies] {
        opt->policies_given = policies->count() > 0;
        run_eval(*opt);
    });
}

}  // namespace glimpse::cli
