// `glimpse-cli make-data` with the default model: it writes readable samples whose targets
// are distributions, a second run skips them, a lost file comes back byte for byte (sample i
// depends only on the seed and i), context-only samples cut the same prompt before its
// question, multi-turn samples hold a conversation with the model's own answers, and bad
// lengths are refused.

#include "test_support.h"

#include "engine/lookahead/lookahead_adapter.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/prompt_cache_file.h"
#include "engine/lookahead/training_sample.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace {

std::vector<char> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

class TestMakeData : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    using Result = test_support::CliResult;

    Result run(const QStringList& args) { return test_support::run_cli(args); }

    QStringList make_data(int samples) {
        return {"make-data", "--out", dir_.path() + "/data", "--samples", QString::number(samples), "--seed", "3",
                "--min-length", "256", "--max-length", "256", "--response-tokens", "16", "--threads", "2"};
    }

private slots:
    void writes_samples_then_skips_them() {
        const std::filesystem::path data = dir_.path().toStdString() + "/data";
        auto r = run(make_data(2));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("made 2 samples, skipped 0"), qPrintable(r.out));
        QVERIFY2(r.out.contains("sources:"), qPrintable(r.out));

        const auto files = engine::lookahead::list_training_samples(data);
        QCOMPARE(files.size(), size_t(2));
        QCOMPARE(files[0].filename().string(), std::string("sample-000000.gguf"));
        const auto model = engine::Model::open(test_support::default_model());
        const auto& c = model->config();
        for (const auto& f : files) {
            const auto s = engine::lookahead::read_training_sample(f);
            QCOMPARE(s.model_fingerprint, engine::LookaheadBase::of(*model).fingerprint);
            QCOMPARE(s.n_layers, c.n_layers);
            QCOMPARE(s.n_kv_heads, c.n_kv_heads);
            QVERIFY2(s.prompt.size() <= 256 && s.prompt.size() >= 200, qPrintable(QString::number(s.prompt.size())));
            QVERIFY(!s.response.empty() && s.response.size() <= 16);
            QVERIFY(!s.source.empty() && !s.instruction.empty());
            for (int64_t l = 0; l < s.n_layers; ++l) {
                const auto rows = s.target_of_layer(l);
                for (int64_t h = 0; h < s.n_kv_heads; ++h) {
                    double stored = 0.0;   // the f16 values as written, before renormalising
                    for (size_t p = 0; p < s.prompt.size(); ++p)
                        stored += engine::fp16_to_fp32(s.target[(l * s.n_kv_heads + h) * s.prompt.size() + p]);
                    QVERIFY2(std::abs(stored - 1.0) < 5e-3, qPrintable(QString::number(stored)));
                    double sum = 0.0;
                    for (size_t p = 0; p < s.prompt.size(); ++p) sum += rows[h * s.prompt.size() + p];
                    QVERIFY(std::abs(sum - 1.0) < 1e-9);
                }
            }
        }
        const auto first = read_bytes(files[0]);

        r = run(make_data(2));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("made 0 samples, skipped 2"), qPrintable(r.out));

        // A lost or damaged file is made again, identical; a larger run adds only the new index.
        std::filesystem::remove(files[0]);
        { std::ofstream(files[1], std::ios::trunc) << "not a sample"; }
        r = run(make_data(3));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // Index 0 (lost) and 1 (damaged) and 2 (new) are made; nothing valid was there.
        QVERIFY2(r.out.contains("made 3 samples, skipped 0"), qPrintable(r.out));
        QVERIFY(read_bytes(files[0]) == first);
        engine::lookahead::read_training_sample(files[1]);
        QCOMPARE(engine::lookahead::list_training_samples(data).size(), size_t(3));
    }

    // Runs of different shards share a folder: each makes its own indices, the same bytes a
    // single run makes, and clears only its own half-written files.
    void shards_share_a_folder() {
        const QString dir = dir_.path() + "/sharded";
        QStringList args = make_data(3);
        args[2] = dir;
        auto r = run(args + QStringList{"--shard", "1/2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("made 1 samples, skipped 0"), qPrintable(r.out));
        QVERIFY2(r.err.contains("(shard 1/2 of 3)"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir + "/sample-000000.gguf") && QFileInfo::exists(dir + "/sample-000001.gguf"));
        { std::ofstream(dir.toStdString() + "/sample-000000.kv.partial") << "half"; }
        { std::ofstream(dir.toStdString() + "/sample-000001.gguf.partial") << "half"; }
        r = run(args + QStringList{"--shard", "0/2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("made 2 samples, skipped 0"), qPrintable(r.out));
        QVERIFY(!QFileInfo::exists(dir + "/sample-000000.kv.partial"));
        QVERIFY(QFileInfo::exists(dir + "/sample-000001.gguf.partial"));   // shard 1's, maybe still being written
        for (const char* name : {"sample-000000.gguf", "sample-000001.gguf", "sample-000002.gguf"})
            QVERIFY2(read_bytes(dir.toStdString() + "/" + name) == read_bytes(dir_.path().toStdString() + "/data/" + name), name);
        r = run(args);
        QVERIFY2(r.out.contains("made 0 samples, skipped 3"), qPrintable(r.out));
        for (const char* bad : {"2/2", "1", "a/b", "-1/2", "1/0", "1/2x"}) {
            r = run(args + QStringList{"--shard", bad});
            QVERIFY(r.code != 0);
            QVERIFY2(r.err.contains("is not K/N"), qPrintable(r.err));
        }
    }

    // A context-only sample is the same prompt cut before its question: the document is what
    // the target covers, the question is read after it, and the trainer takes the sample.
    void context_only_samples_cut_the_prompt_before_the_question() {
        QStringList args = make_data(2);
        args[2] = dir_.path() + "/question-aware";
        auto r = run(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        args[2] = dir_.path() + "/context-only";
        r = run(args + QStringList{"--context-only", "1"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("100% of the rest context-only"), qPrintable(r.err));
        QVERIFY2(r.out.contains("context-only:"), qPrintable(r.out));

        for (const char* name : {"sample-000000.gguf", "sample-000001.gguf"}) {
            const auto whole = engine::lookahead::read_training_sample(dir_.path().toStdString() + "/question-aware/" + name);
            const auto cut = engine::lookahead::read_training_sample(dir_.path().toStdString() + "/context-only/" + name);
            QVERIFY(!whole.context_only());
            QVERIFY(cut.context_only());
            QCOMPARE(cut.seed, whole.seed);
            QVERIFY(cut.question.size() >= 4);   // at least a blank line, an instruction and the turn's end
            QVERIFY(cut.prompt.size() + cut.question.size() == whole.prompt.size());
            QVERIFY(std::equal(cut.prompt.begin(), cut.prompt.end(), whole.prompt.begin()));
            QVERIFY(std::equal(cut.question.begin(), cut.question.end(), whole.prompt.begin() + cut.prompt.size()));
            QCOMPARE(cut.target.size(), size_t(cut.n_layers * cut.n_kv_heads) * cut.prompt.size());
            // Same answer or not, the weights moved: the question's tokens took some attention.
            QVERIFY(cut.target != std::vector<uint16_t>(whole.target.begin(), whole.target.begin() + cut.target.size()));
        }

        // Asking for the other setting makes a sample again rather than passing it off.
        r = run(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("made 2 samples, skipped 0"), qPrintable(r.out));
        QVERIFY2(r.err.contains("made by another model, seed or setting"), qPrintable(r.err));
        r = run(args + QStringList{"--context-only", "1"});
        QVERIFY2(r.out.contains("made 2 samples, skipped 0"), qPrintable(r.out));

        r = run({"train-lookahead", "--data", dir_.path() + "/context-only", "--out", dir_.path() + "/co.gguf", "--steps",
                 "1", "--batch", "2", "--lookahead-tokens", "4", "--rank", "2", "--threads", "2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFileInfo::exists(dir_.path() + "/co.gguf"));
    }

    // A windowed sample is the same prompt cut inside the document, then its question part,
    // as the rows see it when a window ends there and windowed reading has read the question
    // behind it: the answer is the one the whole prompt gets, and the target is the whole
    // prompt's over the tokens read so far, renormalised; the question part gets none.
    void windowed_samples_cut_the_prompt_inside_the_document() {
        QStringList args = make_data(2);
        args[2] = dir_.path() + "/windowed";
        auto r = run(args + QStringList{"--windowed", "1", "--prompt-cache", "q8_0"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("100% windowed"), qPrintable(r.err));
        QVERIFY2(r.out.contains("windowed:"), qPrintable(r.out));
        const auto model = engine::Model::open(test_support::default_model());
        for (const char* name : {"sample-000000.gguf", "sample-000001.gguf"}) {
            const auto whole = engine::lookahead::read_training_sample(dir_.path().toStdString() + "/question-aware/" + name);
            const auto cut = engine::lookahead::read_training_sample(dir_.path().toStdString() + "/windowed/" + name);
            QVERIFY(cut.windowed && cut.context_only());
            QCOMPARE(cut.seed, whole.seed);
            // The question part after the rest of the document is the whole prompt's tail.
            QVERIFY(cut.question.size() < whole.prompt.size());
            const size_t n = whole.prompt.size() - cut.question.size(), n_whole = whole.prompt.size();
            QVERIFY(std::equal(cut.question.begin(), cut.question.end(), whole.prompt.begin() + n));
            QVERIFY(cut.prompt.size() > n);
            const size_t probe = cut.prompt.size() - n;
            QVERIFY(std::equal(cut.prompt.begin(), cut.prompt.begin() + n, whole.prompt.begin()));
            QVERIFY(std::equal(cut.prompt.begin() + n, cut.prompt.end(), whole.prompt.end() - probe));
            QVERIFY2(n >= n_whole / 5 && n <= n_whole * 3 / 4, qPrintable(QString("%1 of %2").arg(n).arg(n_whole)));
            QCOMPARE(cut.response, whole.response);
            const size_t n_cut = cut.prompt.size();
            for (int64_t l = 0; l < cut.n_layers; ++l) {
                const auto part = cut.target_of_layer(l), all = whole.target_of_layer(l);
                for (int64_t h = 0; h < cut.n_kv_heads; ++h) {
                    double mass = 0.0;
                    for (size_t p = 0; p < n; ++p) mass += all[h * n_whole + p];
                    for (size_t p = 0; p < n; ++p) {
                        const double want = all[h * n_whole + p] / mass, got = part[h * n_cut + p];
                        QVERIFY2(std::abs(got - want) <= 5e-3 * std::max(got, want) + 1e-4,
                                 qPrintable(QString("layer %1 head %2 token %3: %4 vs %5").arg(l).arg(h).arg(p).arg(got).arg(want)));
                    }
                    for (size_t p = n; p < n_cut; ++p) QCOMPARE(part[h * n_cut + p], 0.0);
                }
            }
            // Its prompt cache is kept at the type asked for, and is the prompt's.
            const auto kv = dir_.path().toStdString() + "/windowed/" + std::string(name).replace(14, 4, "kv");
            const auto cache = engine::lookahead::load_prompt_cache(kv, *model, cut.prompt);
            QVERIFY(cache.has_value());
            QCOMPARE(std::filesystem::file_size(kv) < std::filesystem::file_size(dir_.path().toStdString() + "/question-aware/" +
                                                                                  std::string(name).replace(14, 4, "kv")) / 2,
                     true);
        }
        r = run({"train-lookahead", "--data", dir_.path() + "/windowed", "--out", dir_.path() + "/w.gguf", "--steps", "1",
                 "--batch", "2", "--lookahead-tokens", "4", "--rank", "2", "--threads", "2", "--prompt-cache", "none"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = run(args + QStringList{"--windowed", "0.5", "--multi-turn", "0.6"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("add up to more than all the samples"), qPrintable(r.err));
        r = run(args + QStringList{"--prompt-cache", "bf16"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("use f32, f16, q8_0 or none"), qPrintable(r.err));
    }

    // A multi-turn sample compresses the document before the first question; its question part
    // is the conversation (each question, then the model's answer to it, then the next), and
    // its response answers the last question.
    void multi_turn_samples_hold_the_conversation() {
        const QString dir = dir_.path() + "/multi-turn";
        const QStringList args{"make-data", "--out", dir, "--samples", "2", "--seed", "5", "--min-length", "256",
                               "--max-length", "600", "--response-tokens", "16", "--threads", "2", "--multi-turn", "1"};
        auto r = run(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("100% multi-turn"), qPrintable(r.err));
        QVERIFY2(r.out.contains("-turn:"), qPrintable(r.out));
        const auto tokenizer = engine::Tokenizer::from_gguf(engine::GgufFile::open(test_support::default_model()));
        for (const auto& f : engine::lookahead::list_training_samples(dir.toStdString())) {
            const auto s = engine::lookahead::read_training_sample(f);
            QVERIFY2(s.turns == 2 || s.turns == 3, qPrintable(QString::number(s.turns)));
            QVERIFY(s.context_only());
            QVERIFY(s.prompt.size() <= 600 - 2 * (16 + 128));
            // Every turn opens with the template's marker: the question's turn closes, then per
            // earlier question the answer's turn and the next question's, then the answer's.
            const std::string conversation = tokenizer.decode(s.question);
            int64_t turns_opened = 0;
            for (size_t at = conversation.find("<|im_start|>"); at != std::string::npos; at = conversation.find("<|im_start|>", at + 1))
                ++turns_opened;
            QVERIFY2(turns_opened == 2 * s.turns - 1, conversation.c_str());
            QVERIFY2(conversation.ends_with("<|im_start|>assistant\n"), conversation.c_str());
            QVERIFY(!s.response.empty());
        }
        // Another share makes the samples again rather than passing them off.
        r = run(args.mid(0, args.size() - 2));
        QVERIFY2(r.out.contains("made 2 samples, skipped 0"), qPrintable(r.out));
        // Too short a length for three questions and their answers is refused up front.
        r = run({"make-data", "--out", dir_.path() + "/bad", "--samples", "1", "--min-length", "256", "--max-length", "400",
                 "--multi-turn", "0.5"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("leaves no room for three-question conversations"), qPrintable(r.err));
    }

    void refuses_lengths_that_do_not_fit() {
        auto r = run({"make-data", "--out", dir_.path() + "/bad", "--samples", "1", "--max-length", "100000"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("exceeds the model's context window"), qPrintable(r.err));
        r = run({"make-data", "--out", dir_.path() + "/bad", "--samples", "1", "--min-length", "100", "--max-length", "300"});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("--min-length 100 leaves"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir_.path() + "/bad/sample-000000.gguf"));
    }
};

QTEST_GUILESS_MAIN(TestMakeData)
#include "test_make_data.moc"
