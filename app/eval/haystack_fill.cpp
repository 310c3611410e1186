#include "engine/error.h"
#include "app/eval/task_context.h"

#include <algorithm>
#include <cmath>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

// The split's paragraphs, whole documents in a seeded order, repeated when exhausted.
class ParagraphStream {
public:
    explicit ParagraphStream(const TaskContext& context) {
        std::vector<std::string> documents = context.corpus.documents(context.split);
        context.random.shuffle(documents);
        for (size_t d = 0; d < documents.size(); ++d) {
            names_.push_back(documents[d]);
            for (const auto& text : context.corpus.paragraphs(documents[d])) entries_.push_back({d, &text});
        }
        if (entries_.empty()) throw Error("haystack corpus: the split has no paragraphs");
    }
    const std::string& text(int64_t i) const { return *entries_[i % entries_.size()].text; }
    const std::string& source(int64_t i) const { return names_[entries_[i % entries_.size()].document]; }
    int64_t size() const { return static_cast<int64_t>(entries_.size()); }

private:
    struct Entry {
        size_t document;
        const std::string* text;
    };
    std::vector<std::string> names_;
    std::vector<Entry> entries_;
};

std::vector<std::string_view> split_words(const std::string& text) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < text.size()) {
        size_t end = text.find(' ', i);
        if (end == std::string::npos) end = text.size();
        if (end > i) words.emplace_back(text.data() + i, end - i);
        i = end + 1;
    }
    return words;
}

}  // namespace

FilledHaystack fill_haystack(const TaskContext& context, const std::vector<HaystackInsert>& inserts_in,
                             const std::string& question, bool label_paragraphs) {
    const ParagraphStream stream(context);
    std::vector<HaystackInsert> inserts = inserts_in;
    std::stable_sort(inserts.begin(), inserts.end(),
                     [](const HaystackInsert& a, const HaystackInsert& b) { return a.depth < b.depth; });

    // `whole` full paragraphs, then the first `words` words of the next one.
    auto build = [&](int64_t whole, int64_t words) {
        const int64_t count = whole + (words > 0 ? 1 : 0);
        std::string out;
        auto append = [&out](std::string_view piece) {
            if (!out.empty()) out += "\n\n";
            out += piece;
        };
        size_t next_insert = 0;
        for (int64_t p = 0; p <= count; ++p) {
            while (next_insert < inserts.size()) {
                const double depth = std::clamp(inserts[next_insert].depth, 0.0, 1.0);
                const int64_t at = std::min<int64_t>(count, static_cast<int64_t>(std::floor(depth * (count + 1))));
                if (at != p) break;
                append(inserts[next_insert++].text);
            }
            if (p == count) break;
            std::string paragraph;
            if (label_paragraphs) {
                paragraph += '[';
                paragraph += std::to_string(p + 1);
                paragraph += "] ";
            }
            if (p < whole) {
                paragraph += stream.text(p);
            } else {
                const auto all = split_words(stream.text(p));
                for (int64_t w = 0; w < words && w < static_cast<int64_t>(all.size()); ++w) {
                    if (w) paragraph += ' ';
                    paragraph += all[w];
                }
            }
            append(paragraph);
        }
        return out;
    };
    auto tokens_of = [&](const std::string& document) {
        return context.count_tokens(document + "\n\n" + question);
    };
    auto fits = [&](int64_t whole, int64_t words) { return tokens_of(build(whole, words)) <= context.target_tokens; };

    const int fixed_tokens = tokens_of(build(0, 0));
    if (fixed_tokens > context.target_tokens) throw_target_too_small(context, "the inserted text and question");

    // Start the search near the answer: estimate characters per token from a few paragraphs.
    std::string sample_text;
    for (int64_t i = 0; i < std::min<int64_t>(8, stream.size()); ++i) sample_text += stream.text(i) + "\n\n";
    const double chars_per_token =
        static_cast<double>(sample_text.size()) / std::max(1, context.count_tokens(sample_text));
    const double char_budget = (context.target_tokens - fixed_tokens) * chars_per_token;
    int64_t hint = 0;
    for (double used = 0; hint < stream.size() * 64; ++hint) {
        used += static_cast<double>(stream.text(hint).size()) + 2;
        if (used > char_budget) break;
    }
    const int64_t whole = largest_fitting_count([&](int64_t n) { return fits(n, 0); }, hint, stream.size() * 64);
    const int64_t next_words = static_cast<int64_t>(split_words(stream.text(whole)).size());
    const int64_t words = largest_fitting_count([&](int64_t n) { return fits(whole, n); }, next_words / 2,
                                                std::max<int64_t>(0, next_words - 1));

    FilledHaystack filled;
    filled.document = build(whole, std::max<int64_t>(0, words));
    filled.prompt_tokens = tokens_of(filled.document);
    filled.paragraphs = static_cast<int>(whole + (words > 0 ? 1 : 0));
    for (int64_t p = 0; p < filled.paragraphs; ++p) {
        const std::string& source = stream.source(p);
        if (std::find(filled.sources.begin(), filled.sources.end(), source) == filled.sources.end())
            filled.sources.push_back(source);
    }
    return filled;
}

std::string random_needle_key(const TaskContext& context) {
    const auto& words = context.corpus.words(context.split);
    if (words.size() < 2) throw Error("haystack corpus: too few words in the split to make needle keys");
    return context.random.pick(words) + "-" + context.random.pick(words);
}

std::string random_magic_number(SeededRandom& random) {
    return std::to_string(random.between(1000000, 9999999));
}

void throw_target_too_small(const TaskContext& context, std::string_view what) {
    throw Error("eval task: " + std::string(what) + " alone exceed the target of " +
                std::to_string(context.target_tokens) + " tokens; choose a longer target");
}

}  // namespace glimpse::eval
