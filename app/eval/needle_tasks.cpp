// Needle-in-a-haystack tasks: "One of the special magic numbers for <key> is: <number>."
// sentences hidden at random depths in natural text.

#include "app/eval/task_context.h"

#include <set>

namespace glimpse::eval {


namespace {

constexpr int kKeys = 4;    // keys in the multi-key and multi-query tasks
constexpr int kValues = 4;  // values of the key in the multi-value task

std::string needle_sentence(const std::string& key, const std::string& value) {
    return "One of the special magic numbers for " + key + " is: " + value + ".";
}

std::string joined_keys(const std::vector<std::string>& keys) {
    std::string out;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (i) out += i + 1 == keys.size() ? ", and " : ", ";
        out += keys[i];
    }
    return out;
}

}  // namespace

void build_needle_task(EvalTask task, const TaskContext& context, EvalSample& sample) {
    const int key_count = task == EvalTask::NeedleMultiKey || task == EvalTask::NeedleMultiQuery ? kKeys : 1;
    const int values_per_key = task == EvalTask::NeedleMultiValue ? kValues : 1;

    std::vector<std::string> keys;
    std::set<std::string> used_keys, used_values;
    while (static_cast<int>(keys.size()) < key_count) {
        std::string key = random_needle_key(context);
        if (used_keys.insert(key).second) keys.push_back(key);
    }
    std::vector<std::vector<std::string>> values(key_count);
    std::vector<HaystackInsert> inserts;
    for (int k = 0; k < key_count; ++k) {
        while (static_cast<int>(values[k].size()) < values_per_key) {
            std::string value = random_magic_number(context.random);
            if (!used_values.insert(value).second) continue;
            values[k].push_back(value);
            inserts.push_back({context.random.unit(), needle_sentence(keys[k], value)});
        }
    }

    std::string question;
    switch (task) {
        case EvalTask::NeedleSingle:
            question = "What is the special magic number for " + keys[0] + " mentioned in the provided text?";
            sample.answers = values[0];
            break;
        case EvalTask::NeedleMultiKey: {
            const size_t asked = context.random.below(keys.size());
            question = "What is the special magic number for " + keys[asked] + " mentioned in the provided text?";
            sample.answers = values[asked];
            break;
        }
        case EvalTask::NeedleMultiValue:
            question = "What are all the special magic numbers for " + keys[0] + " mentioned in the provided text?";
            sample.answers = values[0];
            break;
        default:
            question = "What are all the special magic numbers for " + joined_keys(keys) +
                       " mentioned in the provided text?";
            for (const auto& key_values : values) sample.answers.push_back(key_values[0]);
            break;
    }
    question += " Answer with the numbers only.";

    FilledHaystack filled = fill_haystack(context, inserts, question);
    sample.document = std::move(filled.document);
    sample.question = std::move(question);
    sample.prompt_tokens = filled.prompt_tokens;
    sample.sources = std::move(filled.sources);
}

}  // namespace glimpse::eval
