// Common-words extraction: a numbered list where a few words appear many times and all
// others once or twice; the question asks for the frequent ones. The list itself is the
// document, so its length is set by the number of rare words.

#include "app/eval/task_context.h"

#include <set>

namespace glimpse::eval {


namespace {

constexpr int kCommonWords = 10;
constexpr int kMinCommonRepeats = 6;

}  // namespace

void build_common_words(const TaskContext& context, EvalSample& sample) {
    // The split's own words, then invented ones so that long lists never run out.
    const auto& corpus_words = context.corpus.words(context.split);
    std::set<std::string> pool_set(corpus_words.begin(), corpus_words.end());
    for (auto& word : all_invented_words(3)) pool_set.insert(std::move(word));
    std::vector<std::string> pool(pool_set.begin(), pool_set.end());
    context.random.shuffle(pool);
    const std::vector<std::string> common(pool.begin(), pool.begin() + kCommonWords);
    const std::vector<std::string> rare(pool.begin() + kCommonWords, pool.end());
    std::vector<int> rare_repeats(rare.size());
    for (int& repeats : rare_repeats) repeats = 1 + static_cast<int>(context.random.below(2));
    const uint64_t order_seed = context.random.next();

    // Common words repeat more as the list grows, so they stay clearly the most frequent.
    auto common_repeats = [](int64_t rare_count) {
        return std::max<int64_t>(kMinCommonRepeats, rare_count / 20 + 3);
    };
    auto build = [&](int64_t rare_count) {
        std::vector<const std::string*> entries;
        for (const auto& word : common)
            for (int64_t r = 0; r < common_repeats(rare_count); ++r) entries.push_back(&word);
        for (int64_t i = 0; i < rare_count; ++i)
            for (int r = 0; r < rare_repeats[i]; ++r) entries.push_back(&rare[i]);
        SeededRandom order(order_seed ^ static_cast<uint64_t>(rare_count));
        order.shuffle(entries);
        std::string document;
        for (size_t i = 0; i < entries.size(); ++i)
            document += std::to_string(i + 1) + ". " + *entries[i] + (i + 1 < entries.size() ? "\n" : "");
        return document;
    };
    const std::string question = "What are the " + std::to_string(kCommonWords) +
                                 " most common words in the above list? Answer with the words only.";
    auto tokens_of = [&](const std::string& document) { return context.count_tokens(document + "\n\n" + question); };
    auto fits = [&](int64_t rare_count) { return tokens_of(build(rare_count)) <= context.target_tokens; };

    // About 4 tokens per entry ("12. word\n") is a fair first guess.
    const int64_t hint = std::max<int64_t>(1, context.target_tokens / 6);
    const int64_t rare_count = largest_fitting_count(fits, hint, static_cast<int64_t>(rare.size()));
    if (rare_count < 0) throw_target_too_small(context, "the common words and question");

    sample.document = build(rare_count);
    sample.question = question;
    sample.answers = common;
    sample.prompt_tokens = tokens_of(sample.document);
}

}  // namespace glimpse::eval
