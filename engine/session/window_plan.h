#pragma once
// How a prompt is read: in one pass when it fits the model's context window (exactly as a
// short prompt always is), otherwise in windows, each read against the compressed cache of
// everything before it and evicted back to the budget (Session::prefill).

#include <cstdint>

namespace engine {

struct WindowRequest {
    int64_t position = 0;      // the rotary position the prompt starts at
    int64_t tokens = 0;        // prompt length
    int64_t context = 0;       // positions the model may use (its trained context length)
    int64_t answer_room = 0;   // positions left for the answer after the prompt
    int64_t window = 0;        // tokens per window; 0: one pass if it fits, else the default
    int64_t budget = 0;        // what the policy keeps per KV head and layer; 0: keeps everything
    int64_t probe = 0;         // tokens read after each window but the last, then dropped (SessionOptions)
};

struct WindowPlan {
    int64_t window = 0;        // tokens per window (the whole prompt when read in one pass)
    int64_t windows = 1;
};

// Throws engine::Error (ErrorKind::Invalid) naming the numbers when budget, window
// and answer do not fit the context together, or when a policy that keeps everything would
// need windows.
WindowPlan plan_windows(const WindowRequest& request);

}  // namespace engine
