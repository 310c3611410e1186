#include "app/eval/training_prompts.h"

#include "engine/error.h"
#include "app/eval/eval_task.h"
#include "app/eval/held_out_tasks.h"
#include "app/eval/seeded_random.h"
#include "app/eval/task_context.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types
namespace {

using eval::SeededRandom;

constexpr std::array<const char*, 5> kInstructions{"qa", "summarise", "list", "explain", "quote"};
// Room kept for the instruction's variable part (a word, a sentence opening) beyond the
// placeholder it is measured with.
constexpr int kInstructionMargin = 24;

std::vector<std::string> split_paragraphs(const std::string& document) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= document.size()) {
        size_t end = document.find("\n\n", i);
        if (end == std::string::npos) end = document.size();
        if (end > i) out.push_back(document.substr(i, end - i));
        i = end + 2;
    }
    return out;
}

std::vector<std::string> words_of(const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    for (char c : text + " ") {
        if (c == ' ') {
            if (!word.empty()) out.push_back(word);
            word.clear();
        } else {
            word += c;
        }
    }
    return out;
}

// Lower-case words of 7 to 14 ASCII letters: specific enough to ask about.
std::vector<std::string> topic_words(const std::string& text) {
    std::vector<std::string> out;
    for (std::string w : words_of(text)) {
        while (!w.empty() && !std::isalpha(static_cast<unsigned char>(w.back()))) w.pop_back();
        while (!w.empty() && !std::isalpha(static_cast<unsigned char>(w.front()))) w.erase(w.begin());
        if (w.size() < 7 || w.size() > 14) continue;
        if (!std::all_of(w.begin(), w.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); })) continue;
        out.push_back(w);
    }
    return out;
}

size_t occurrences(const std::string& text, const std::string& word) {
    size_t n = 0;
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
    return n;
}

// The rarest topic word of `part` within the whole text (ties: the first); empty if none.
std::string distinctive_word(const std::string& part, const std::string& whole) {
    std::string best;
    size_t best_count = SIZE_MAX;
    for (const auto& w : topic_words(part)) {
        const size_t n = occurrences(whole, w);
        if (n < best_count) best = w, best_count = n;
    }
    return best;
}

std::vector<std::string> sentences_of(const std::string& paragraph) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i < paragraph.size(); ++i) {
        const char c = paragraph[i];
        if ((c == '.' || c == '?' || c == '!') && (i + 1 == paragraph.size() || paragraph[i + 1] == ' ')) {
            out.push_back(paragraph.substr(start, i + 1 - start));
            start = i + 2;
        }
    }
    if (start < paragraph.size()) out.push_back(paragraph.substr(start));
    return out;
}

std::string instruction_text(const std::string& kind, const std::string& focus, SeededRandom& random) {
    if (kind == "qa") {
        static const std::array<const char*, 3> forms{"What does the text above say about \"%\"?",
                                                      "According to the document, what is said about \"%\"?",
                                                      "Answer from the text: what do we learn about \"%\"?"};
        std::string s = forms[random.below(forms.size())];
        return s.replace(s.find('%'), 1, focus);
    }
    if (kind == "summarise") {
        static const std::array<const char*, 3> forms{"Summarise the text above in a few sentences.",
                                                      "Write a short summary of the document above.",
                                                      "Give the gist of the text above in three sentences."};
        return forms[random.below(forms.size())];
    }
    if (kind == "list") {
        static const std::array<const char*, 3> forms{"List the main points of the text above, one per line.",
                                                      "List the commands, options or names the document mentions.",
                                                      "Make a bulleted list of the topics the text covers."};
        return forms[random.below(forms.size())];
    }
    if (kind == "explain") return "Explain in plain words the passage that begins \"" + focus + "...\".";
    return "Quote, word for word, the sentence of the text that mentions \"" + focus + "\".";
}

// An instruction of `kind` about one of the document's paragraphs, and which one.
struct Instruction {
    std::string kind;   // "summarise" where a qa or quote found no word specific enough
    std::string question;
    size_t focus_index = 0;
};

Instruction instruction_about(const std::string& kind, const std::vector<std::string>& paragraphs, const std::string& document,
                              SeededRandom& random) {
    // The paragraph the instruction is about, among the whole ones (the last may be cut).
    const size_t whole = paragraphs.size() > 1 ? paragraphs.size() - 1 : 1;
    size_t focus_index = random.below(whole);
    std::string focus;
    if (kind == "qa") {
        for (size_t tries = 0; tries < whole && focus.empty(); ++tries, focus_index = (focus_index + 1) % whole)
            focus = distinctive_word(paragraphs[focus_index], document);
    } else if (kind == "quote") {
        for (size_t tries = 0; tries < whole && focus.empty(); ++tries, focus_index = (focus_index + 1) % whole) {
            const auto sentences = sentences_of(paragraphs[focus_index]);
            focus = distinctive_word(sentences[random.below(sentences.size())], document);
        }
    } else if (kind == "explain") {
        const auto words = words_of(paragraphs[focus_index]);
        for (size_t w = 0; w < std::min<size_t>(8, words.size()); ++w) focus += (w ? " " : "") + words[w];
    } else {
        focus_index = 0;
    }
    // No word specific enough anywhere: ask for a summary instead.
    if ((kind == "qa" || kind == "quote") && focus.empty()) return {"summarise", instruction_text("summarise", {}, random), focus_index};
    if (kind == "qa" || kind == "quote") focus_index = (focus_index + whole - 1) % whole;   // the loop stepped past it
    return {kind, instruction_text(kind, focus, random), focus_index};
}

// A natural document from the corpus and an instruction about it.
TrainingPrompt document_prompt(const eval::HaystackCorpus& corpus, SeededRandom& random, int target,
                               const eval::TokenCounter& count_tokens, TrainingPrompt prompt) {
    const std::string kind = kInstructions[random.below(kInstructions.size())];
    // Filled against a placeholder of the same form, with room for the real focus text.
    const std::string placeholder = instruction_text(kind, "the quick brown fox jumps over the dog", random);
    const eval::TaskContext context{corpus, eval::EvalSplit::Train, target - kInstructionMargin, count_tokens, random};
    eval::FilledHaystack filled = eval::fill_haystack(context, {}, placeholder);
    const std::vector<std::string> paragraphs = split_paragraphs(filled.document);
    if (paragraphs.empty()) throw Error("training prompts: the corpus gave no text for a prompt");

    const Instruction asked = instruction_about(kind, paragraphs, filled.document, random);
    prompt.instruction = asked.kind;
    prompt.question = asked.question;
    const size_t focus_index = asked.focus_index;
    prompt.text = filled.document + "\n\n" + prompt.question;
    prompt.prompt_tokens = count_tokens(prompt.text);

    // The source is the document the focus paragraph came from.
    std::string focus_document = filled.sources.empty() ? std::string() : filled.sources.front();
    for (const auto& document : filled.sources) {
        const auto& own = corpus.paragraphs(document);
        if (std::find(own.begin(), own.end(), paragraphs[focus_index]) != own.end()) {
            focus_document = document;
            break;
        }
    }
    prompt.source = "doc:" + focus_document;
    prompt.documents = std::move(filled.sources);
    return prompt;
}

}  // namespace

uint64_t training_prompt_seed(uint64_t base_seed, uint64_t index) {
    return eval::eval_sample_seed(eval::EvalSplit::Train, eval::mix_64(base_seed ^ eval::fnv1a_64("lookahead-training")),
                                  index);
}

TrainingPrompt generate_training_prompt(const eval::HaystackCorpus& corpus, uint64_t base_seed, uint64_t index,
                                        const TrainingPromptOptions& options, const eval::TokenCounter& count_tokens) {
    if (options.min_tokens < 128)
        throw Error("training prompts: the minimum length is " + std::to_string(options.min_tokens) +
                    " tokens; it must be at least 128");
    if (options.max_tokens < options.min_tokens)
        throw Error("training prompts: the maximum length " + std::to_string(options.max_tokens) +
                    " is below the minimum " + std::to_string(options.min_tokens));
    if (corpus.documents(eval::EvalSplit::Train).empty())
        throw Error("training prompts: the corpus has no TRAIN documents");

    TrainingPrompt prompt;
    prompt.seed = training_prompt_seed(base_seed, index);
    SeededRandom random(prompt.seed);
    prompt.target_tokens = static_cast<int>(random.between(options.min_tokens, options.max_tokens));

    if (random.below(2) == 0) {
        const std::vector<eval::EvalTask> tasks = eval::training_eval_tasks();   // never a held-out family
        eval::SampleRequest request;
        request.task = tasks[random.below(tasks.size())];
        request.split = eval::EvalSplit::Train;
        request.base_seed = prompt.seed;
        request.index = 0;
        request.target_tokens = prompt.target_tokens;
        try {
            const eval::EvalSample sample = eval::generate_eval_sample(corpus, request, count_tokens);
            prompt.source = prompt.instruction = sample.task;
            prompt.text = sample.prompt();
            prompt.question = sample.question;
            prompt.prompt_tokens = sample.prompt_tokens;
            prompt.documents = sample.sources;
            return prompt;
        } catch (const Error&) {
            // The length drawn is too short for this task's fixed text: a document prompt instead.
        }
    }
    return document_prompt(corpus, random, prompt.target_tokens, count_tokens, std::move(prompt));
}

std::vector<std::string> follow_up_questions(const TrainingPrompt& prompt, int count) {
    const std::string tail = "\n\n" + prompt.question;
    if (!prompt.text.ends_with(tail)) throw Error("training prompts: the prompt does not end with its question");
    const std::string document = prompt.text.substr(0, prompt.text.size() - tail.size());
    const std::vector<std::string> paragraphs = split_paragraphs(document);
    if (paragraphs.empty()) throw Error("training prompts: a prompt with no text to ask follow-up questions about");
    // A stream of its own: the prompt is the same whether or not follow-ups are asked.
    SeededRandom random(eval::mix_64(prompt.seed ^ eval::fnv1a_64("follow-up questions")));
    std::vector<std::string> kinds(kInstructions.begin(), kInstructions.end());
    std::erase(kinds, prompt.instruction);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        // Each question of another kind than the ones before it, while kinds last.
        if (kinds.empty()) kinds.assign(kInstructions.begin(), kInstructions.end());
        const size_t pick = random.below(kinds.size());
        const Instruction asked = instruction_about(kinds[pick], paragraphs, document, random);
        kinds.erase(kinds.begin() + static_cast<std::ptrdiff_t>(pick));
        out.push_back(asked.question);
    }
    return out;
}

}  // namespace glimpse::eval
