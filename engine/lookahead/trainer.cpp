#include "engine/lookahead/trainer.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_pass.h"
#include "engine/lookahead/prompt_cache_file.h"
#include "engine/lookahead/training_checkpoint.h"
#include "engine/lookahead/training_sample.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <string>
#include <thread>

namespace engine::lookahead {

struct LookaheadTrainer::SampleResult {
    std::string name;
    double loss = 0.0;
    int64_t prompt_tokens = 0;
    LookaheadParameters grads;   // empty without gradients
};

namespace {

AdamWOptions with_horizon(AdamWOptions o, int64_t steps) {
    o.total_steps = steps;
    return o;
}

void check_options(const TrainerOptions& o) {
    if (o.steps <= 0) throw Error("train-lookahead: --steps must be positive (got " + std::to_string(o.steps) + ")");
    if (o.batch <= 0) throw Error("train-lookahead: --batch must be positive (got " + std::to_string(o.batch) + ")");
    if (o.adamw.lr <= 0.0 || !std::isfinite(o.adamw.lr))
        throw Error("train-lookahead: --lr must be a positive number");
    if (o.adamw.weight_decay < 0.0) throw Error("train-lookahead: --weight-decay must not be negative");
    if (o.adamw.warmup_steps < 0) throw Error("train-lookahead: --warmup must not be negative");
    if (o.out.empty()) throw Error("train-lookahead: no output adapter path given");
}

LookaheadAdapter starting_adapter(const Model& model, const TrainerOptions& o) {
    check_options(o);
    if (o.resume) return LookaheadAdapter::load(o.out, model);
    return LookaheadAdapter::initialize(model, o.lookahead, o.seed);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// KL(target || predicted) averaged over layers and KV heads: the training loss, without
// its gradient.
double kl_loss(const std::vector<std::vector<double>>& targets, const std::vector<std::vector<double>>& predicted,
               int64_t n_kv_heads) {
    double kl = 0.0;
    for (size_t l = 0; l < targets.size(); ++l)
        for (size_t i = 0; i < targets[l].size(); ++i) {
            const double t = targets[l][i];
            if (t > 0.0) kl += t * (std::log(t) - std::log(predicted[l][i]));
        }
    return kl / static_cast<double>(static_cast<int64_t>(targets.size()) * n_kv_heads);
}

void add_into(LookaheadParameters& sum, const LookaheadParameters& g) {
    std::vector<const std::vector<double>*> from;
    for_each_tensor(g, [&](const std::vector<double>& v, bool) { from.push_back(&v); });
    size_t i = 0;
    for_each_tensor(sum, [&](std::vector<double>& v, bool) {
        const std::vector<double>& f = *from[i++];
        for (size_t j = 0; j < v.size(); ++j) v[j] += f[j];
    });
}

void scale_by(LookaheadParameters& p, double s) {
    for_each_tensor(p, [&](std::vector<double>& v, bool) {
        for (double& x : v) x *= s;
    });
}

}  // namespace

std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    // SplitMix64 of (seed, epoch): a self-contained generator, so the order never depends on
    // the standard library's distributions.
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1;
    auto next = [&] {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<int64_t>(next() % static_cast<uint64_t>(i + 1));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    return order;
}

LookaheadTrainer::LookaheadTrainer(std::shared_ptr<const Model> model, TrainerOptions options)
    : model_(std::move(model)),
      options_(std::move(options)),
      train_files_(list_training_samples(options_.data_dir)),
      adapter_(starting_adapter(*model_, options_)),
      params_(LookaheadParameters::from_adapter(adapter_)),
      optimizer_(params_, with_horizon(options_.adamw, options_.steps)) {
    if (!options_.validation_dir.empty()) validation_files_ = list_training_samples(options_.validation_dir);
    if (options_.resume) {
        const auto state_path = checkpoint_path_for(options_.out);
        TrainingCheckpoint c = read_training_checkpoint(state_path, params_);
        if (c.n_samples != training_samples())
            throw Error(state_path.string() + ": the checkpoint was made for " + std::to_string(c.n_samples) +
                        " training samples, but " + options_.data_dir.string() + " now has " +
                        std::to_string(training_samples()) + "; resume with the same data");
        options_.seed = c.seed;   // the data order continues from the original run's seed
        params_ = std::move(c.params);
        optimizer_.first_moment() = std::move(c.first_moment);
        optimizer_.second_moment() = std::move(c.second_moment);
        optimizer_.set_steps_taken(c.step);
        epoch_ = c.epoch;
        position_ = c.position;
    }
    options_.lookahead = adapter_.options;
    dense_ = dequantize_layers(*model_);
}

LookaheadTrainer::~LookaheadTrainer() = default;

LookaheadAdapter LookaheadTrainer::adapter() const {
    LookaheadAdapter a = adapter_;
    params_.store_into(a);
    return a;
}

std::filesystem::path LookaheadTrainer::next_training_file() {
    const int64_t n = training_samples();
    if (position_ >= n) {
        ++epoch_;
        position_ = 0;
        order_.clear();
    }
    if (order_.empty()) order_ = epoch_order(options_.seed, epoch_, n);
    return train_files_[static_cast<size_t>(order_[static_cast<size_t>(position_++)])];
}

LookaheadTrainer::SampleResult LookaheadTrainer::run_sample(const std::filesystem::path& file, int session_threads,
                                                            bool gradients) const {
    const TrainingSample s = read_training_sample(file);
    const ModelConfig& c = model_->config();
    const std::string name = file.string();
    if (s.model_fingerprint != adapter_.base.fingerprint)
        throw Error(name + ": this training sample was made with another model (fingerprint " +
                    std::to_string(s.model_fingerprint) + ", the model given has " +
                    std::to_string(adapter_.base.fingerprint) + ")");
    if (s.n_layers != c.n_layers || s.n_kv_heads != c.n_kv_heads)
        throw Error(name + ": targets for " + std::to_string(s.n_layers) + " layers x " +
                    std::to_string(s.n_kv_heads) + " KV heads, the model has " + std::to_string(c.n_layers) + " x " +
                    std::to_string(c.n_kv_heads));
    const auto n_prompt = static_cast<int64_t>(s.prompt.size());
    if (n_prompt == 0) throw Error(name + ": the training sample has an empty prompt");
    if (n_prompt + params_.n_tokens > c.context_length)
        throw Error(name + ": prompt of " + std::to_string(n_prompt) + " tokens plus " +
                    std::to_string(params_.n_tokens) + " lookahead tokens exceeds the model's context of " +
                    std::to_string(c.context_length));

    // The prompt's full cache: read from beside the sample when there (at the type it was
    // kept at), else prefilled, rounded to the type it is kept at and kept there for the next
    // visit, which then reads what this one trained on (a cache that cannot be written only
    // costs time).
    const auto cache_file = prompt_cache_path(file);
    std::optional<CompressedCache> cache = load_prompt_cache(cache_file, *model_, s.prompt);
    if (!cache) {
        Session session(model_, {.threads = session_threads});
        session.prefill(s.prompt);
        cache = session.cache();
        if (options_.prompt_cache) {
            cache = cache->with_kv_type(*options_.prompt_cache);
            try {
                save_prompt_cache(*cache, cache_file);
            } catch (const Error&) {
            }
            cache = cache->with_kv_type(GgmlType::F32);
        }
    }
    const auto kv = prompt_kv_of(*cache);
    std::vector<std::vector<double>> targets;
    targets.reserve(static_cast<size_t>(c.n_layers));
    for (int64_t l = 0; l < c.n_layers; ++l) targets.push_back(s.target_of_layer(l));

    SampleResult r;
    r.name = file.filename().string();
    r.prompt_tokens = n_prompt;
    if (gradients) {
        r.grads = params_.zeros_like();
        r.loss = loss_and_gradients(*model_, dense_, params_, kv, n_prompt, targets, r.grads);
    } else {
        const auto scores = lookahead_scores(*model_, lookahead_forward(*model_, dense_, params_, kv, n_prompt), kv);
        r.loss = kl_loss(targets, scores, c.n_kv_heads);
    }
    return r;
}

std::vector<LookaheadTrainer::SampleResult> LookaheadTrainer::run_samples(
    const std::vector<std::filesystem::path>& files, bool gradients) const {
    const int threads = std::max(1, options_.threads);
    const size_t parallel = std::min(files.size(), static_cast<size_t>(threads));
    const int session_threads = std::max(1, threads / static_cast<int>(std::max<size_t>(parallel, 1)));
    std::vector<SampleResult> results(files.size());
    for (size_t first = 0; first < files.size(); first += parallel) {
        const size_t last = std::min(files.size(), first + parallel);
        std::vector<std::exception_ptr> errors(last - first);
        std::vector<std::thread> workers;
        for (size_t i = first + 1; i < last; ++i)
            workers.emplace_back([&, i] {
                try {
                    results[i] = run_sample(files[i], session_threads, gradients);
                } catch (...) {
                    errors[i - first] = std::current_exception();
                }
            });
        try {
            results[first] = run_sample(files[first], session_threads, gradients);
        } catch (...) {
            errors[0] = std::current_exception();
        }
        for (auto& w : workers) w.join();
        for (auto& e : errors)
            if (e) std::rethrow_exception(e);
    }
    return results;
}

StepReport LookaheadTrainer::train_step() {
    if (done()) throw Error("train-lookahead: all " + std::to_string(options_.steps) + " steps are done");
    const auto start = std::chrono::steady_clock::now();
    const int64_t saved_epoch = epoch_, saved_position = position_;
    const auto saved_order = order_;
    std::vector<std::filesystem::path> files;
    for (int b = 0; b < options_.batch; ++b) files.push_back(next_training_file());

    std::vector<SampleResult> results;
    try {
        results = run_samples(files, true);
    } catch (...) {
        // Nothing consumed: a checkpoint written after a failed step resumes at this batch.
        epoch_ = saved_epoch;
        position_ = saved_position;
        order_ = saved_order;
        throw;
    }
    StepReport report;
    LookaheadParameters grads = std::move(results[0].grads);
    for (size_t i = 1; i < results.size(); ++i) add_into(grads, results[i].grads);
    const double inv = 1.0 / static_cast<double>(results.size());
    scale_by(grads, inv);
    for (const auto& r : results) {
        report.loss += r.loss * inv;
        report.prompt_tokens += r.prompt_tokens;
        report.samples.push_back(r.name);
    }
    if (!std::isfinite(report.loss))
        throw Error("train-lookahead: the loss became " + std::to_string(report.loss) + " at step " +
                    std::to_string(step() + 1) + " (samples " + report.samples.front() + "...); try a lower --lr");
    report.lr = optimizer_.step(params_, grads);
    report.step = step();
    report.total = options_.steps;
    report.seconds = seconds_since(start);
    return report;
}

ValidationReport LookaheadTrainer::validate() {
    ValidationReport report;
    report.step = step();
    if (validation_files_.empty()) return report;
    const auto start = std::chrono::steady_clock::now();
    // A batch at a time keeps at most `batch` prefilled caches in memory.
    const size_t chunk = static_cast<size_t>(std::max(options_.batch, 1));
    double sum = 0.0;
    for (size_t first = 0; first < validation_files_.size(); first += chunk) {
        const size_t last = std::min(validation_files_.size(), first + chunk);
        const std::vector<std::filesystem::path> files(validation_files_.begin() + static_cast<std::ptrdiff_t>(first),
                                                       validation_files_.begin() + static_cast<std::ptrdiff_t>(last));
        for (const auto& r : run_samples(files, false)) sum += r.loss;
    }
    report.samples = static_cast<int64_t>(validation_files_.size());
    report.loss = sum / static_cast<double>(report.samples);
    report.seconds = seconds_since(start);
    return report;
}

void LookaheadTrainer::save_checkpoint() {
    params_.store_into(adapter_);
    adapter_.save(options_.out);
    TrainingCheckpoint c;
    c.seed = options_.seed;
    c.step = step();
    c.epoch = epoch_;
    c.position = position_;
    c.n_samples = training_samples();
    c.params = params_;
    c.first_moment = optimizer_.first_moment();
    c.second_moment = optimizer_.second_moment();
    write_training_checkpoint(c, checkpoint_path_for(options_.out));
}

}  // namespace engine::lookahead
