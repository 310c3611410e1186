// The shipped LookaheadKV adapter is found for the default model by the fingerprint it
// records, whatever the model file is called; another model's adapter is passed over.

#include "reference/tiny_model.h"

#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/model/model.h"

#include "test_support.h"

#include <QtTest/QtTest>

class TestAdapterByFingerprint : public QObject {
    Q_OBJECT

private slots:
    void a_renamed_default_model_keeps_the_shipped_adapter() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();
        const auto model_path = root / "model.gguf";
        std::filesystem::copy_file(test_support::default_model(), model_path);
        const auto model = engine::Model::open(model_path);
        const auto shipped_dir = test_support::source_dir() / "resources/lookahead";
        const auto shipped = shipped_dir / "SmolLM2-135M-Instruct.Q4_1.lookahead.gguf";
        QCOMPARE(engine::adapter_base_fingerprint(shipped).value(), model->fingerprint());

        // Another model's adapter beside the renamed model, under the name the old lookup
        // would have taken, and under a name that sorts first: both ignored.
        reference::TinySpec spec;
        spec.dim = 32;
        spec.ffn_dim = 64;
        spec.head_dim = 8;
        const auto tiny = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, 5), "tiny"));
        const auto foreign = engine::LookaheadAdapter::initialize(*tiny, {.n_tokens = 2, .rank = 1}, 1);
        foreign.save(root / "model.lookahead.gguf");
        foreign.save(root / "0.lookahead.gguf");

        const auto found = engine::find_adapter_for(model_path, model->fingerprint(), {shipped_dir});
        QVERIFY(found.has_value());
        QCOMPARE(*found, shipped);
        // And it loads for the renamed model.
        QCOMPARE(engine::LookaheadAdapter::load(*found, *model).base.fingerprint, model->fingerprint());
        QVERIFY(!engine::find_adapter_for(model_path, model->fingerprint()).has_value());
    }
};

QTEST_GUILESS_MAIN(TestAdapterByFingerprint)
#include "test_adapter_by_fingerprint.moc"
