// A conversation kept in the session store and reopened answers exactly as the one that
// never stopped (logits bit-identical), reads no documents, and its snapshot grows by a
// segment per turn; a snapshot made under another policy is not used and the documents are
// read again from their stored text.

#include "default_model_fixture.h"

#include "core/conversation.h"
#include "core/prompt_document_of.h"
#include "engine/chat/chat_template.h"
#include "engine/eviction/policy_registry.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/read_document.h"
#include "store/sqlite_statement.h"
#include "store/stored_conversation.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

using test_support::open_default_model;

std::vector<glimpse::store::StoredDocument> sample_report() {
    return {{test_support::sample_report_path().string(), test_support::sample_report_document()}};
}

glimpse::ConversationOptions snapkv_512() {
    glimpse::ConversationOptions o;
    o.sampling.max_new_tokens = 24;
    o.make_policy = [] { return engine::make_policy("snapkv", {.budget = 512}); };
    return o;
}

}  // namespace

class TestSessionResume : public QObject {
    Q_OBJECT

private slots:
    void a_resumed_session_answers_as_the_one_that_never_stopped() {
        const auto model = open_default_model();
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "s.sqlite";
        const auto identity = glimpse::store::snapshot_identity(model, "snapkv", 512, nullptr);

        glimpse::Conversation never_stopped(model, snapkv_512(), {sample_report()[0].document});
        const std::string q1 = "What is the entrance code for the night tours?";
        const std::string q2 = "Who was the last keeper?";
        never_stopped.ask(q1);
        {
            glimpse::store::SessionStore store(db);
            auto stored = glimpse::store::start_stored_conversation(store, "harbor", model, snapkv_512(), identity,
                                                                     sample_report());
            const auto turn = stored.conversation->ask(q1);
            glimpse::store::save_turn(store, stored, identity, q1, turn);
        }

        glimpse::store::SessionStore store(db);
        auto resumed = glimpse::store::resume_stored_conversation(store, *store.find("harbor"), model, snapkv_512(),
                                                                  identity);
        QVERIFY2(resumed.restored, resumed.not_restored.c_str());
        QVERIFY(resumed.conversation->session()->cache() == never_stopped.session()->cache());
        const auto a = never_stopped.ask(q2);
        const auto b = resumed.conversation->ask(q2);
        QVERIFY(!b.read_documents);
        QCOMPARE(b.read_tokens, a.read_tokens);
        QCOMPARE(b.answer, a.answer);
        const auto la = never_stopped.session()->logits(), lb = resumed.conversation->session()->logits();
        QVERIFY(std::equal(la.begin(), la.end(), lb.begin(), lb.end()));

        // The second turn extends the snapshot by one segment; the first segment's rows stay.
        glimpse::store::SqliteStatement before(store.database(), "SELECT group_concat(checksum) FROM kv_layers WHERE segment = 0");
        before.step();
        const std::string first_segment = before.text(0);
        glimpse::store::save_turn(store, resumed, identity, q2, b);
        glimpse::store::SqliteStatement after(store.database(), "SELECT group_concat(checksum) FROM kv_layers WHERE segment = 0");
        after.step();
        QCOMPARE(after.text(0), first_segment);
        const auto sum = store.snapshot_summary(resumed.session.id);
        QCOMPARE(sum->segments, int64_t{2});
        QCOMPARE(sum->tokens, resumed.conversation->session()->position());
        const auto again = store.load_snapshot(resumed.session, identity, model.model->fingerprint());
        QVERIFY(again->cache == resumed.conversation->session()->cache());

        // Under another policy the snapshot is not used: why is said, and the stored text is read.
        auto h2o = glimpse::store::snapshot_identity(model, "h2o", 512, nullptr);
        auto other = glimpse::store::resume_stored_conversation(store, *store.find("harbor"), model, snapkv_512(), h2o);
        QVERIFY(!other.restored);
        QVERIFY2(QString::fromStdString(other.not_restored).contains("policy snapkv"), other.not_restored.c_str());
        const auto c = other.conversation->ask(q1);
        QVERIFY(c.read_documents);
        QVERIFY2(QString::fromStdString(c.answer).contains("PELICAN-47"), c.answer.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSessionResume)
#include "test_session_resume.moc"
