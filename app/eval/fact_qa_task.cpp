// QA over natural text: one invented fact (made-up people and places, so the model cannot
// know it beforehand) placed in the haystack, and a question only that fact answers.

#include "app/eval/task_context.h"

#include <array>

namespace glimpse::eval {


namespace {

constexpr std::array<const char*, 8> kPlaceEndings = {"ford", "mere", "vik", "ton", "holm", "stead", "burg", "wick"};
constexpr std::array<const char*, 8> kColours = {"red", "green", "blue", "yellow", "purple", "orange", "grey", "white"};
constexpr std::array<const char*, 8> kObjects = {"boathouse", "greenhouse", "workshop", "chapel",
                                                 "lighthouse", "archive", "cellar", "bell tower"};
constexpr std::array<const char*, 8> kTrades = {"baker", "carpenter", "glassblower", "cartographer",
                                                "beekeeper", "clockmaker", "printer", "weaver"};

template <size_t N>
std::string pick_from(SeededRandom& random, const std::array<const char*, N>& items) {
    return items[random.below(N)];
}

std::string capitalised(std::string word) {
    word[0] = static_cast<char>(word[0] - 'a' + 'A');
    return word;
}

std::string invented_person(SeededRandom& random) {
    return capitalised(invented_word(random, 2)) + " " + capitalised(invented_word(random, 3));
}

std::string invented_place(SeededRandom& random) {
    return capitalised(invented_word(random, 2)) + pick_from(random, kPlaceEndings);
}

struct Fact {
    std::string sentence;
    std::string question;
    std::string answer;
};

Fact random_fact(SeededRandom& random) {
    const std::string person = invented_person(random);
    const std::string year = std::to_string(random.between(1820, 1990));
    switch (random.below(5)) {
        case 0: {
            const std::string colour = pick_from(random, kColours);
            const std::string object = pick_from(random, kObjects);
            return {person + " keeps the spare key to the " + object + " in a " + colour + " tin under the stairs.",
                    "What colour is the tin in which " + person + " keeps the spare key to the " + object + "?",
                    colour};
        }
        case 1: {
            const std::string from = invented_place(random), to = invented_place(random);
            const std::string trade = pick_from(random, kTrades);
            return {"In " + year + ", " + person + " left " + from + " for " + to + " to work as a " + trade + ".",
                    "Which town did " + person + " move to in " + year + "?", to};
        }
        case 2: {
            const std::string code = std::to_string(random.between(1000, 9999));
            const std::string place = invented_place(random);
            return {"The locker that " + person + " rents at the " + place + " railway station opens with the code " +
                        code + ".",
                    "What code opens the locker that " + person + " rents at the " + place + " railway station?", code};
        }
        case 3: {
            const std::string place = invented_place(random);
            return {"The observatory on the hill above " + place + " was founded in " + year + " by " + person + ".",
                    "Who founded the observatory above " + place + "?", person};
        }
        default: {
            const std::string trade = pick_from(random, kTrades);
            const std::string place = invented_place(random);
            return {person + ", the only " + trade + " in " + place + ", was born in " + year + ".",
                    "In which year was " + person + ", the " + trade + " of " + place + ", born?", year};
        }
    }
}

}  // namespace

void build_fact_qa(const TaskContext& context, EvalSample& sample) {
    const Fact fact = random_fact(context.random);
    const double depth = context.random.unit();
    const std::string question = fact.question + " Answer briefly, using the document above.";
    FilledHaystack filled = fill_haystack(context, {{depth, fact.sentence}}, question);
    sample.document = std::move(filled.document);
    sample.question = question;
    sample.answers = {fact.answer};
    sample.prompt_tokens = filled.prompt_tokens;
    sample.sources = std::move(filled.sources);
}

}  // namespace glimpse::eval
