#include "app/eval/eviction_eval.h"

#include "engine/error.h"
#include "app/eval/answer_match.h"
#include "engine/metrics/attention_recall.h"
#include "engine/metrics/response_nll.h"
#include "app/eval/fan_out_policy.h"
#include "engine/eviction/draft_policy.h"
#include "engine/eviction/draft_steps.h"
#include "engine/session/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int32_t argmax(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// The greedy response on a session: its tokens, and text for answer matching.
struct Response {
    std::vector<int32_t> tokens;
    double mean_nll = 0;
};

Response greedy_response(Session& session, const Tokenizer& tokenizer, int64_t max_tokens) {
    Response r;
    double nll = 0;
    for (int64_t i = 0; i < max_tokens; ++i) {
        const int32_t token = argmax(session.logits());
        nll += negative_log_prob(session.logits(), token);
        r.tokens.push_back(token);
        if (tokenizer.is_end_of_generation(token)) break;
        session.decode(token);
    }
    r.mean_nll = r.tokens.empty() ? 0 : nll / static_cast<double>(r.tokens.size());
    return r;
}

std::string response_text(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens) {
    std::vector<int32_t> visible;
    for (int32_t t : tokens)
        if (!tokenizer.is_end_of_generation(t)) visible.push_back(t);
    return tokenizer.decode(visible);
}

// Share of the full-cache response's attention to the prompt that falls on kept entries,
// averaged over layers and KV heads. `attention[l * n_kv + h][i]` is what prompt token i
// received (entries past the prompt are the response's own and are left out).
double mean_attention_recall(const std::vector<std::vector<float>>& attention, int64_t n_prompt,
                             const CompressedCache& kept, int64_t n_layers, int64_t n_kv) {
    double sum = 0;
    int64_t heads = 0;
    std::vector<int32_t> positions;
    for (int64_t l = 0; l < n_layers; ++l)
        for (int64_t h = 0; h < n_kv; ++h) {
            const auto& a = attention[static_cast<size_t>(l * n_kv + h)];
            const auto prompt_part = std::span<const float>(a).first(static_cast<size_t>(std::min<int64_t>(n_prompt, a.size())));
            double mass = 0;
            for (float x : prompt_part) mass += x;
            if (mass <= 0) continue;
            positions.clear();
            for (int32_t pos : kept.head(l, h).positions)
                if (pos < static_cast<int32_t>(prompt_part.size())) positions.push_back(pos);
            sum += engine::attention_recall(prompt_part, positions);
            ++heads;
        }
    return heads ? sum / static_cast<double>(heads) : 1.0;
}

// Mean NLL per token of the first accepted answer after what `session` holds; NaN without one.
double answer_nll(Session& session, const Tokenizer& tokenizer, const std::vector<std::string>& answers) {
    if (answers.empty()) return EvalRecord::kMissing;
    const auto tokens = tokenizer.encode(answers.front(), false, false);
    if (tokens.empty()) return EvalRecord::kMissing;
    return teacher_forced_nll(session, tokens);
}

// The prompt's document tokens cut to the first or last `room` of them (Truncation).
std::vector<int32_t> truncated(const std::vector<int32_t>& context, Truncation truncation, int64_t room) {
    const auto n = static_cast<int64_t>(context.size());
    if (truncation == Truncation::None || n <= room) return context;
    if (room <= 0) throw Error("evaluation: the question and the answer leave no room in the context window for the document");
    return truncation == Truncation::First ? std::vector<int32_t>(context.begin(), context.begin() + room)
                                           : std::vector<int32_t>(context.end() - room, context.end());
}

struct Reference {
    Response response;
    double answer_nll = EvalRecord::kMissing;
    std::vector<std::vector<float>> attention;   // per (layer, KV head), per prompt token
    double prefill_ms = 0;
};

Reference full_cache_reference(const std::shared_ptr<const Model>& model, const std::shared_ptr<Backend>& backend,
                               const Tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                               const std::vector<std::string>& answers, const EvictionEvalOptions& options) {
    Reference ref;
    Session session(model, backend);
    auto start = Clock::now();
    if (!session.prefill(prompt)) throw Error("evaluation prefill was cancelled");
    ref.prefill_ms = ms_since(start);
    {
        Session forced(model, backend, session.cache(), SessionOptions{},
                       std::vector<float>(session.logits().begin(), session.logits().end()));
        ref.answer_nll = answer_nll(forced, tokenizer, answers);
    }
    session.track_cached_attention(true);
    ref.response = greedy_response(session, tokenizer, options.response_tokens);
    // The last response token was not read back, so a response of one end token leaves
    // no attention: score its first (and only) step by reading it.
    if (session.cached_attention().empty()) session.decode(ref.response.tokens.back());
    ref.attention = session.cached_attention();
    return ref;
}

}  // namespace

std::vector<EvalRecord> evaluate_eviction(const std::shared_ptr<const Model>& model, const Tokenizer& tokenizer,
                                          const EvictionPrompt& prompt, const std::vector<EvictionCandidate>& candidates,
                                          const EvictionEvalOptions& options) {
    const ModelConfig& c = model->config();
    // One backend (one thread pool) for every session and draft of this prompt.
    const std::shared_ptr<Backend> backend = make_cpu_backend(options.threads);
    std::vector<int32_t> all = prompt.context_tokens;
    all.insert(all.end(), prompt.question_tokens.begin(), prompt.question_tokens.end());
    const auto n_all = static_cast<int64_t>(all.size());
    if (n_all == 0 || prompt.question_tokens.empty()) throw Error("evaluation prompt has no question");

    // The full cache is the reference where the prompt fits; past the window it cannot read it.
    const int64_t context = options.context > 0 ? options.context : c.context_length;
    const bool fits = n_all + options.response_tokens <= context;
    const bool windowed = !fits || options.read_window > 0;
    std::optional<Reference> ref;
    if (fits) ref = full_cache_reference(model, backend, tokenizer, all, prompt.answers, options);

    std::vector<EvalRecord> records;
    auto record = [&](const std::string& policy, int64_t budget, const char* setting) {
        EvalRecord r;
        r.policy = policy;
        r.budget = budget;
        r.setting = setting;
        r.task = prompt.task;
        r.length = prompt.length;
        return r;
    };
    if (ref) {
        EvalRecord r = record("full", 0, "full");
        r.recall = 1.0;
        r.dnll = 0.0;
        if (auto score = answer_score(response_text(tokenizer, ref->response.tokens), prompt.answers)) r.correct = *score;
        r.answer_nll = ref->answer_nll;
        r.evict_ms = 0.0;
        r.rows_ms = 0.0;
        r.scoring_ms = 0.0;
        r.prefill_ms = ref->prefill_ms;
        r.kept_bytes = static_cast<double>(n_all * c.n_layers * c.n_kv_heads * c.head_dim * 2 * int64_t(sizeof(float)));
        records.push_back(r);
    }
    if (candidates.empty()) return records;

    // Most policies choose inside the layer hook and share one full prefill. The lookahead
    // ones (LAQ, SpecKV) draft first and choose after it; they share it too: the fan-out
    // saves each layer's window queries and, for each LAQ candidate, what SnapKV with its
    // options keeps (an extra fan-out member), and the drafting runs on copies of the full cache.
    std::vector<size_t> shared, own, solo;   // solo: read in a session of their own
    std::vector<std::shared_ptr<EvictionPolicy>> keeps;
    std::vector<size_t> snap_of_own;   // LAQ candidate own[i]: its SnapKV's index in keeps (unused for SpecKV)
    int64_t record_window = 0;
    for (size_t p = 0; p < candidates.size(); ++p) {
        // A full cache at a lower precision cannot read in windows either.
        if (windowed && dynamic_cast<const FullPolicy*>(candidates[p].keep.get())) continue;
        if (windowed || candidates[p].truncation != Truncation::None) {
            solo.push_back(p);
        } else if (const auto* lookahead = dynamic_cast<const DraftPolicy*>(candidates[p].keep.get())) {
            own.push_back(p);
            record_window = std::max(record_window, lookahead->query_window());
        } else {
            shared.push_back(p);
            keeps.push_back(candidates[p].keep);
        }
    }
    for (size_t p : own) {
        const auto& lookahead = dynamic_cast<const DraftPolicy&>(*candidates[p].keep);
        snap_of_own.push_back(keeps.size());
        if (lookahead.source() == DraftSource::CompressedSelf)
            keeps.push_back(std::make_shared<SnapKvPolicy>(lookahead.options()));
    }

    for (const bool question_aware : {true, false}) {
        if (question_aware ? !options.question_aware : !options.context_only) continue;
        const char* setting = question_aware ? "question-aware" : "context-only";
        const std::vector<int32_t>& compressed = question_aware ? all : prompt.context_tokens;
        const auto n_compressed = static_cast<int64_t>(compressed.size());

        // Scores one compressed cache of the prompt (as prefilled, with its last logits).
        auto score = [&](const EvictionCandidate& cand, const CompressedCache& cache, const std::vector<float>& logits,
                         double evict_ms, double prefill_ms, double rows_ms = EvalRecord::kMissing) {
            auto open = [&]() {
                if (question_aware) return std::make_unique<Session>(model, backend, cache, SessionOptions{}, logits);
                auto s = std::make_unique<Session>(model, backend, cache);
                if (!s->append(prompt.question_tokens)) throw Error("evaluation append was cancelled");
                return s;
            };
            auto answering = open();
            EvalRecord r = record(cand.policy, cand.budget, setting);
            r.kept_bytes = static_cast<double>(answering->cache().kv_bytes());
            // Recall needs the original positions: gone once compacted or truncated.
            if (ref && cache.position_shift() == 0 && cache.next_position() == n_compressed)
                r.recall = mean_attention_recall(ref->attention, n_all, answering->cache(), c.n_layers, c.n_kv_heads);
            Response answer = greedy_response(*answering, tokenizer, options.response_tokens);
            if (auto s = answer_score(response_text(tokenizer, answer.tokens), prompt.answers)) r.correct = *s;
            r.answer_nll = answer_nll(*open(), tokenizer, prompt.answers);
            if (ref) r.dnll = teacher_forced_nll(*open(), ref->response.tokens) - ref->response.mean_nll;
            r.evict_ms = evict_ms;
            r.prefill_ms = prefill_ms;
            r.rows_ms = rows_ms;
            if (std::isfinite(rows_ms)) r.scoring_ms = evict_ms - rows_ms;
            records.push_back(r);
        };

        // Truncation baselines and windowed reading: each candidate reads in its own session.
        for (size_t p : solo) {
            const EvictionCandidate& cand = candidates[p];
            const auto room = context - options.response_tokens - static_cast<int64_t>(prompt.question_tokens.size());
            std::vector<int32_t> tokens = truncated(prompt.context_tokens, cand.truncation, room);
            if (question_aware) tokens.insert(tokens.end(), prompt.question_tokens.begin(), prompt.question_tokens.end());
            SessionOptions session_options;
            session_options.context = context;
            session_options.kv_type = options.kv_type;
            if (cand.truncation == Truncation::None) {
                session_options.policy = cand.keep;
                session_options.window = options.read_window;
                // Each window is chosen with the question after it, when the setting knows it.
                if (question_aware) session_options.window_probe = prompt.question_tokens;
            }
            session_options.answer_room = options.response_tokens +
                                          (question_aware ? 0 : static_cast<int64_t>(prompt.question_tokens.size()));
            Session reading(model, backend, session_options);
            auto start = Clock::now();
            const PrefillStats read = reading.prefill(tokens);
            if (!read) throw Error("evaluation prefill was cancelled");
            const double prefill_ms = ms_since(start);
            score(cand, reading.cache(), std::vector<float>(reading.logits().begin(), reading.logits().end()),
                  read.eviction_seconds * 1000.0, prefill_ms);
        }
        if (shared.empty() && own.empty()) continue;

        auto fan_out = std::make_shared<FanOutPolicy>(keeps, record_window);
        Session prefill(model, backend, {.kv_type = options.kv_type, .policy = fan_out});
        auto start = Clock::now();
        if (!prefill.prefill(compressed)) throw Error("evaluation prefill was cancelled");
        // What a single policy's prefill would cost: ours less the other policies' choosing.
        const double base_prefill_ms = ms_since(start) - fan_out->total_eviction_ms();
        const std::vector<float> logits(prefill.logits().begin(), prefill.logits().end());
        for (size_t i = 0; i < shared.size(); ++i) {
            const double evict_ms = fan_out->eviction_ms(i);
            score(candidates[shared[i]], prefill.cache().keep_entries(fan_out->kept(i)), logits, evict_ms,
                  base_prefill_ms + evict_ms, fan_out->rows_ms(i));
        }
        if (own.empty()) continue;

        // The draft candidates: passes 2-4 of draft_policy.h on the shared full cache,
        // with the same steps as a session. Their evict_ms is what the policy costs a real
        // session beyond the plain prefill (prefill_ms): for LAQ the SnapKV scoring, the
        // compressed copy, the draft, the draft's query pass and the re-selection; for SpecKV
        // the draft model's prefill and draft and the draft's query pass (run once here per
        // draft model, as no budget changes them, yet counted in every budget's time) and the
        // re-selection. Cutting the final cache out of the full one is not counted, as for the
        // other policies.
        namespace steps = draft_steps;
        CompressedCache full = prefill.cache();   // each draft's query pass appends here, then rolls back
        CompressedCache::Mark base = full.mark();   // everything is new: no earlier entries
        std::fill(base.head_sizes.begin(), base.head_sizes.end(), 0);
        base.n_tokens = 0;
        const int64_t chunk = prefill.options().chunk;
        const int64_t row = c.n_heads * c.head_dim;
        struct SpecDraft {
            const Model* model;
            std::filesystem::path path;
            int64_t count;
            std::vector<int32_t> tokens;
            std::vector<std::vector<float>> queries;
            double ms;
        };
        std::vector<SpecDraft> spec_drafts;
        for (size_t i = 0; i < own.size(); ++i) {
            const EvictionCandidate& cand = candidates[own[i]];
            DraftPolicy selector = dynamic_cast<const DraftPolicy&>(*cand.keep);
            const PolicyOptions& po = selector.options();
            const bool laq = selector.source() == DraftSource::CompressedSelf;
            const double snap_ms = laq ? fan_out->eviction_ms(snap_of_own[i]) : 0.0;
            if (po.budget >= n_compressed) {   // nothing to evict: the full cache, no draft
                score(cand, full, logits, snap_ms, base_prefill_ms + snap_ms);
                continue;
            }
            auto t = Clock::now();
            std::vector<int32_t> laq_draft;
            std::vector<std::vector<float>> laq_queries;
            const SpecDraft* spec = nullptr;
            if (laq) {
                laq_draft = steps::draft_on_compressed(model, backend, full.keep_entries(fan_out->kept(snap_of_own[i]), base),
                                                       logits, po.draft_tokens);
                laq_queries = steps::queries_of_draft(*model, *backend, full, laq_draft, chunk);
            } else {
                auto found = std::find_if(spec_drafts.begin(), spec_drafts.end(), [&](const SpecDraft& d) {
                    return d.model == po.draft_model.get() && d.path == po.draft_model_path && d.count == po.draft_tokens;
                });
                if (found == spec_drafts.end()) {
                    auto answer = steps::draft_with_model(po, *model, full.tokens(), backend);
                    if (!answer) throw Error("evaluation prefill was cancelled");
                    auto queries = steps::queries_of_draft(*model, *backend, full, *answer, chunk);
                    spec_drafts.push_back({po.draft_model.get(), po.draft_model_path, po.draft_tokens, std::move(*answer),
                                           std::move(queries), ms_since(t)});
                    found = std::prev(spec_drafts.end());
                }
                spec = &*found;
                t = Clock::now();   // the draft's own time is spec->ms
            }
            const std::vector<int32_t>& draft = spec ? spec->tokens : laq_draft;
            const auto& queries = spec ? spec->queries : laq_queries;
            const int64_t n_window = std::min(selector.query_window(), fan_out->n_window());
            std::vector<const float*> window(static_cast<size_t>(c.n_layers));
            for (size_t l = 0; l < window.size(); ++l)
                window[l] = fan_out->window_queries(l).data() + (fan_out->n_window() - n_window) * row;
            const auto kept = steps::reselect(selector, *model, *backend, full, base, n_compressed, window, n_window, queries,
                                              static_cast<int64_t>(draft.size()));
            const double evict_ms = snap_ms + (spec ? spec->ms : 0.0) + ms_since(t);
            score(cand, full.keep_entries(kept, base), logits, evict_ms, base_prefill_ms + evict_ms);
        }
    }
    return records;
}

}  // namespace glimpse::eval
