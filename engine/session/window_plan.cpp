#include "engine/session/window_plan.h"

#include "engine/error.h"

#include <string>

namespace engine {
namespace {

std::string n(int64_t v) { return std::to_string(v); }

}  // namespace

WindowPlan plan_windows(const WindowRequest& r) {
    if (r.context <= 0) throw Error("windowed reading: the model's context length is unknown");
    if (r.window < 0) throw Error("windowed reading: the window must be positive, got " + n(r.window));
    const bool fits = r.position + r.tokens + r.answer_room <= r.context;
    if (r.tokens == 0 || (r.window == 0 && fits) || (r.window > 0 && r.tokens <= r.window && fits))
        return {r.tokens, 1};
    if (r.budget <= 0)
        throw Error("the prompt is " + n(r.tokens) + " tokens long and the model's context window holds " + n(r.context) +
                    " tokens (" + n(r.answer_room) + " kept for the answer); the full cache cannot read it in windows: "
                    "choose an eviction policy with a budget");
    int64_t window = r.window;
    if (window == 0) {
        // The largest window that leaves room for twice the budget: PyramidKV's lower layers
        // and LookaheadKV's recent window keep somewhat more than B.
        window = r.context - r.answer_room - 2 * r.budget - r.probe;
        constexpr int64_t kSmallest = 64;   // below this, windows are mostly eviction work
        if (window < kSmallest)
            throw Error("windowed reading: the budget (" + n(r.budget) + " tokens, twice that reserved), the answer (" +
                        n(r.answer_room) + " tokens) and the question read with each window (" + n(r.probe) +
                        " tokens) leave " + n(window) + " tokens of the model's " + n(r.context) +
                        "-token context window for each window, fewer than " + n(kSmallest) +
                        "; lower --budget or --max-tokens");
    } else if (r.budget + window + r.probe + r.answer_room > r.context) {
        throw Error("windowed reading: budget " + n(r.budget) + " + window " + n(window) +
                    (r.probe > 0 ? " + question " + n(r.probe) : std::string()) + " + answer " + n(r.answer_room) + " = " +
                    n(r.budget + window + r.probe + r.answer_room) +
                    " tokens, more than the model's context window of " + n(r.context) +
                    "; lower --budget, --read-window or --max-tokens");
    }
    return {window, (r.tokens + window - 1) / window};
}

}  // namespace engine
