// glimpse-cli train-lookahead: trains a LookaheadKV adapter on sample files (written by
// the data generator), checkpointing as it goes; logs a CSV per step and draws the loss
// curve. Ctrl-C stops after the current step with a checkpoint; --resume continues.

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "core/model_setup.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lora_target.h"
#include "engine/lookahead/prompt_cache_file.h"
#include "engine/lookahead/trainer.h"
#include "engine/model/model.h"
#include "eval/loss_plot.h"
#include "eval/progress_bar.h"

#include <CLI/CLI.hpp>

#include <QGuiApplication>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace glimpse::cli {
namespace {

namespace la = engine::lookahead;

struct TrainCommandOptions {
    std::string model;
    std::string data, validation, out, log, plot;
    int64_t steps = 1000;
    int batch = 2;
    double lr = 1e-3;
    int64_t warmup = 20;
    double weight_decay = 0.0;
    uint64_t seed = 1;
    int threads = 2;
    int64_t checkpoint_every = 50;
    bool resume = false;
    std::string prompt_cache = "f16";
    int64_t lookahead_tokens = 32;
    int64_t rank = 8;
    float alpha = 8.0f;
    std::vector<std::string> targets{"q", "k", "v", "o", "gate", "up", "down"};
};

std::filesystem::path validation_log_path(const std::filesystem::path& log) {
    std::filesystem::path p = log;
    p.replace_extension(".validation.csv");
    return p;
}

// Keeps the header and the rows of steps <= last_step (a resumed run drops the steps
// logged after its checkpoint) and returns their (step, loss) points.
std::vector<eval::LossPoint> trim_log(const std::filesystem::path& path, int64_t last_step) {
    std::vector<eval::LossPoint> points;
    std::ifstream in(path);
    if (!in) return points;
    std::string line, kept;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            kept += line + "\n";
            header = false;
            continue;
        }
        std::istringstream fields(line);
        std::string step, loss;
        if (!std::getline(fields, step, ',') || !std::getline(fields, loss, ',')) continue;
        try {
            if (std::stoll(step) > last_step) continue;
            points.push_back({std::stod(step), std::stod(loss)});
        } catch (const std::exception&) {
            continue;
        }
        kept += line + "\n";
    }
    in.close();
    std::ofstream out(path, std::ios::trunc);
    out << kept;
    return points;
}

std::ofstream open_log(const std::filesystem::path& path, const char* header, bool append) {
    const bool exists = std::filesystem::exists(path);
    std::ofstream f(path, append ? std::ios::app : std::ios::trunc);
    if (!f) throw engine::Error("cannot write the log " + path.string());
    if (!append || !exists) f << header << "\n";
    return f;
}

std::string join(const std::vector<std::string>& items, char sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : std::string(1, sep)) + s;
    return out;
}

void run_training(const TrainCommandOptions& opt) {
    la::TrainerOptions t;
    t.data_dir = opt.data;
    t.validation_dir = opt.validation;
    t.out = opt.out;
    t.lookahead.n_tokens = opt.lookahead_tokens;
    t.lookahead.rank = opt.rank;
    t.lookahead.alpha = opt.alpha;
    t.lookahead.targets.clear();
    for (const auto& name : opt.targets) {
        const auto target = engine::lora_target_from_name(name);
        if (!target) throw engine::Error("train-lookahead: unknown --targets entry '" + name + "' (use q,k,v,o,gate,up,down)");
        t.lookahead.targets.push_back(*target);
    }
    t.adamw.lr = opt.lr;
    t.adamw.warmup_steps = opt.warmup;
    t.adamw.weight_decay = opt.weight_decay;
    t.steps = opt.steps;
    t.batch = opt.batch;
    t.threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    t.seed = opt.seed;
    t.checkpoint_every = opt.checkpoint_every;
    t.resume = opt.resume;
    t.prompt_cache = engine::lookahead::parse_prompt_cache_type(opt.prompt_cache);

    const auto model_path = resolve_model_path(opt.model);
    auto model = engine::Model::from_file(engine::GgufFile::open(model_path));
    if (!opt.resume && std::filesystem::exists(t.out))
        std::fprintf(stderr, "train-lookahead: %s exists and will be replaced (use --resume to continue it)\n",
                     t.out.string().c_str());
    la::LookaheadTrainer trainer(model, t);
    std::fprintf(stderr, "train-lookahead: %lld training samples%s, %s step %lld of %lld, batch %d, %d threads\n",
                 static_cast<long long>(trainer.training_samples()),
                 trainer.has_validation() ? ", validation on" : "", opt.resume ? "resuming after" : "from",
                 static_cast<long long>(trainer.step()), static_cast<long long>(t.steps), t.batch, t.threads);

    std::vector<eval::LossPoint> history, validation_history;
    std::ofstream log, validation_log;
    if (!opt.log.empty()) {
        if (opt.resume) {
            history = trim_log(opt.log, trainer.step());
            validation_history = trim_log(validation_log_path(opt.log), trainer.step());
        }
        log = open_log(opt.log, "step,loss,lr,samples,prompt_tokens,seconds", opt.resume);
        if (trainer.has_validation())
            validation_log = open_log(validation_log_path(opt.log), "step,loss,samples,seconds", opt.resume);
    }

    auto run_validation = [&] {
        if (!trainer.has_validation()) return;
        const auto v = trainer.validate();
        validation_history.push_back({static_cast<double>(v.step), v.loss});
        if (validation_log.is_open()) validation_log << v.step << ',' << v.loss << ',' << v.samples << ',' << v.seconds << std::endl;
        std::fprintf(stderr, "\nvalidation at step %lld: loss %.5f over %lld samples (%.1fs)\n",
                     static_cast<long long>(v.step), v.loss, static_cast<long long>(v.samples), v.seconds);
    };
    // Drawn after the validation it may include, so the last plot shows the last validation.
    auto draw_plot = [&] {
        if (!opt.plot.empty() && !history.empty())
            eval::writeLossPlot(QString::fromStdString(opt.plot), history, validation_history);
    };

    const auto* interrupted = install_interrupt_flag();
    const bool interactive = isatty(fileno(stderr));
    const int64_t first_step = trainer.step();
    if (first_step == 0) run_validation();
    const auto start = std::chrono::steady_clock::now();
    std::deque<double> recent;
    double recent_sum = 0.0;
    auto last_print = start;
    while (!trainer.done() && !interrupted->load()) {
        const la::StepReport r = trainer.train_step();
        history.push_back({static_cast<double>(r.step), r.loss});
        if (log.is_open())
            log << r.step << ',' << r.loss << ',' << r.lr << ',' << join(r.samples, ';') << ',' << r.prompt_tokens
                << ',' << r.seconds << std::endl;
        recent.push_back(r.loss);
        recent_sum += r.loss;
        if (recent.size() > 20) {
            recent_sum -= recent.front();
            recent.pop_front();
        }
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const double per_step = elapsed / static_cast<double>(r.step - first_step);
        const QString line = QString("step %1/%2  loss %3 (mean of last %4: %5)  lr %6  %7 s/step  ETA %8")
                                 .arg(r.step)
                                 .arg(r.total)
                                 .arg(r.loss, 0, 'f', 4)
                                 .arg(recent.size())
                                 .arg(recent_sum / static_cast<double>(recent.size()), 0, 'f', 4)
                                 .arg(r.lr, 0, 'g', 3)
                                 .arg(per_step, 0, 'f', 2)
                                 .arg(eval::ProgressBar::formatDuration(per_step * static_cast<double>(r.total - r.step)));
        if (interactive)
            std::fprintf(stderr, "\r%s\x1b[K", line.toUtf8().constData());
        else if (std::chrono::duration<double>(now - last_print).count() > 30.0 || r.step == r.total || r.step == first_step + 1) {
            std::fprintf(stderr, "%s\n", line.toUtf8().constData());
            last_print = now;
        }
        if (t.checkpoint_every > 0 && r.step % t.checkpoint_every == 0 && !trainer.done()) {
            trainer.save_checkpoint();
            run_validation();
            draw_plot();
        }
    }
    if (interactive) std::fprintf(stderr, "\n");
    trainer.save_checkpoint();
    // A finished run resumed again trains nothing: its last validation is already logged.
    if (trainer.done() && trainer.step() > first_step) run_validation();
    draw_plot();
    if (trainer.done()) {
        std::printf("wrote %s after %lld steps\n", t.out.string().c_str(), static_cast<long long>(trainer.step()));
    } else {
        std::printf("stopped at step %lld of %lld; wrote %s and its checkpoint; continue with --resume\n",
                    static_cast<long long>(trainer.step()), static_cast<long long>(t.steps), t.out.string().c_str());
    }
    clear_interrupt_flag();
}

}  // namespace

void add_train_lookahead_command(CLI::App& app) {
    auto opt = std::make_shared<TrainCommandOptions>();
    auto* cmd = app.add_subcommand("train-lookahead", "Train a LookaheadKV adapter on generated sample files");
    cmd->add_option("--model", opt->model, "Model file (default: the default model)");
    cmd->add_option("--data", opt->data, "Folder of training samples (sample-*.gguf)")->required();
    cmd->add_option("--out", opt->out, "Adapter to write (its checkpoint goes to <out>.state)")->required();
    cmd->add_option("--validation-data", opt->validation, "Folder of held-out samples, evaluated every checkpoint");
    cmd->add_option("--steps", opt->steps, "Optimizer steps in all")->check(CLI::Range(int64_t{1}, int64_t{100000000}));
    cmd->add_option("--batch", opt->batch, "Samples per step (run in parallel)")->check(CLI::Range(1, 4096));
    cmd->add_option("--lr", opt->lr, "Peak learning rate (linear warmup, cosine decay to 10%)")->check(CLI::PositiveNumber);
    cmd->add_option("--warmup", opt->warmup, "Warmup steps")->check(CLI::NonNegativeNumber);
    cmd->add_option("--weight-decay", opt->weight_decay, "AdamW weight decay on the LoRA matrices")->check(CLI::NonNegativeNumber);
    cmd->add_option("--seed", opt->seed, "Seed of the initial adapter and the data order");
    cmd->add_option("--threads", opt->threads, "Threads in all (0: one per core)")->check(CLI::Range(0, 1024));
    cmd->add_option("--checkpoint-every", opt->checkpoint_every, "Checkpoint and validate every K steps (0: only at the end)");
    cmd->add_flag("--resume", opt->resume, "Continue from --out and its checkpoint");
    cmd->add_option("--prompt-cache", opt->prompt_cache,
                    "Type a sample's prefilled prompt cache is kept at beside it for the next visit: f32, f16, q8_0, or none "
                    "(never written; read when there)")
        ->capture_default_str();
    cmd->add_option("--log", opt->log, "CSV log of every step (validation goes to <log>.validation.csv)");
    cmd->add_option("--plot", opt->plot, "PNG of the loss curve, redrawn at every checkpoint");
    cmd->add_option("--lookahead-tokens", opt->lookahead_tokens, "Lookahead tokens")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    cmd->add_option("--rank", opt->rank, "LoRA rank")->check(CLI::Range(int64_t{1}, int64_t{4096}));
    cmd->add_option("--alpha", opt->alpha, "LoRA alpha (scale alpha / rank)");
    cmd->add_option("--targets", opt->targets, "Adapted projections, comma-separated: q,k,v,o,gate,up,down")->delimiter(',');
    cmd->callback([opt] {
        // The loss plot is drawn with QPainter, which needs a GUI application (never shown).
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        static int argc = 1;
        static char name[] = "glimpse-cli";
        static char* argv[] = {name, nullptr};
        QGuiApplication gui(argc, argv);
        run_training(*opt);
    });
}

}  // namespace glimpse::cli
