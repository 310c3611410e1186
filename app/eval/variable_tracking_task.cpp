// Variable tracking: chains "VAR ABCDE = 12345." then "VAR FGHIJ = VAR ABCDE." ... spread
// through the haystack in order, plus distractor chains with other values; the question
// asks for every variable that ends up holding the first chain's value.

#include "app/eval/task_context.h"

#include <algorithm>
#include <set>

namespace glimpse::eval {


namespace {

constexpr int kChains = 2;  // the asked chain and one distractor
constexpr int kHops = 5;    // variables per chain

std::string random_variable_name(SeededRandom& random) {
    std::string name(5, 'A');
    for (char& c : name) c = static_cast<char>('A' + random.below(26));
    return name;
}

}  // namespace

void build_variable_tracking(const TaskContext& context, EvalSample& sample) {
    std::set<std::string> used_names, used_values;
    std::vector<HaystackInsert> inserts;
    std::string asked_value;
    for (int chain = 0; chain < kChains; ++chain) {
        std::string value;
        do value = std::to_string(context.random.between(10000, 99999));
        while (!used_values.insert(value).second);
        if (chain == 0) asked_value = value;
        // Depths sorted so each assignment comes after the one it copies.
        std::vector<double> depths(kHops);
        for (double& depth : depths) depth = context.random.unit();
        std::sort(depths.begin(), depths.end());
        std::string previous;
        for (int hop = 0; hop < kHops; ++hop) {
            std::string name;
            do name = random_variable_name(context.random);
            while (!used_names.insert(name).second);
            const std::string right = hop == 0 ? value : "VAR " + previous;
            inserts.push_back({depths[hop], "VAR " + name + " = " + right + "."});
            if (chain == 0) sample.answers.push_back(name);
            previous = name;
        }
    }
    const std::string question = "Find all variables that are assigned the value " + asked_value +
                                 " in the text above, directly or through other variables. "
                                 "Answer with the variable names only.";
    FilledHaystack filled = fill_haystack(context, inserts, question);
    sample.document = std::move(filled.document);
    sample.question = question;
    sample.prompt_tokens = filled.prompt_tokens;
    sample.sources = std::move(filled.sources);
}

}  // namespace glimpse::eval
