// Prompt building: pages carry markers, every token knows its (document, page), and a
// prompt that does not fit the context is an error with both numbers.

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "prompt/document_prompt.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <map>

using namespace glimpse;

class TestDocumentPrompt : public QObject {
    Q_OBJECT

    std::unique_ptr<engine::GgufFile> file_;
    std::optional<engine::Tokenizer> tokenizer_;
    std::optional<engine::ChatTemplate> chat_;

    std::vector<PromptDocument> documents() const {
        return {{"Tides", {{1, "High water comes twice a day."}, {2, "Spring tides follow the new moon."}}},
                {"Birds", {{7, "Gannets dive from thirty metres."}, {8, "Terns nest on shingle."}}}};
    }

private slots:
    void initTestCase() {
        file_ = std::make_unique<engine::GgufFile>(engine::GgufFile::open(test_support::default_model()));
        tokenizer_ = engine::Tokenizer::from_gguf(*file_);
        chat_ = engine::ChatTemplate::from_gguf(*file_);
    }

    void message_has_titles_markers_and_question() {
        std::string m = document_message(documents(), "Where do terns nest?");
        QVERIFY(m.find("# Document 1: Tides\n\n[p. 1]\nHigh water comes twice a day.\n\n[p. 2]\n") != std::string::npos);
        QVERIFY(m.find("# Document 2: Birds\n\n[p. 7]\nGannets") != std::string::npos);
        QVERIFY(m.size() > 30 && m.substr(m.size() - 30) == "Question: Where do terns nest?");
    }

    void every_token_knows_its_page() {
        auto p = build_document_prompt(*tokenizer_, *chat_, documents(), "Where do terns nest?", "");
        QCOMPARE(p.sources.size(), p.tokens.size());
        QVERIFY(p.text.rfind("<|im_start|>assistant\n") == p.text.size() - 22);
        // The text of the tokens attributed to each page is that page's marker and text.
        std::map<std::pair<int, int>, std::string> text_of;
        for (size_t i = 0; i < p.tokens.size(); ++i)
            if (p.sources[i].document >= 0)
                text_of[{p.sources[i].document, p.sources[i].page}] += tokenizer_->token_to_piece(p.tokens[i]);
        QCOMPARE(text_of.size(), size_t(4));
        QVERIFY(text_of[std::make_pair(1, 8)].find("Terns nest on shingle.") != std::string::npos);
        QVERIFY(text_of[std::make_pair(1, 8)].find("[p. 8]") != std::string::npos);
        QVERIFY(text_of[std::make_pair(0, 2)].find("Spring tides") != std::string::npos);
        QVERIFY(text_of[std::make_pair(0, 2)].find("Gannets") == std::string::npos);
        int64_t attributed = 0;
        for (auto& s : p.sources) attributed += s.document >= 0;
        QCOMPARE(p.document_tokens, attributed);
        QVERIFY(p.sources.front().document == -1);   // the template's system turn
        QVERIFY(p.sources.back().document == -1);    // the generation prompt
    }

    // The question part, tokenized on its own, is the prompt's tail: what windowed reading
    // reads after each window.
    void the_question_part_is_the_prompt_tail() {
        auto p = build_document_prompt(*tokenizer_, *chat_, documents(), "Where do terns nest?", "");
        QVERIFY(!p.question.empty());
        std::string text;
        for (int32_t t : p.question) text += tokenizer_->token_to_piece(t);
        QCOMPARE(QString::fromStdString(text), QString("Question: Where do terns nest?<|im_end|>\n<|im_start|>assistant\n"));
        QVERIFY(p.question.size() < p.tokens.size());
        QVERIFY(std::equal(p.question.rbegin(), p.question.rend(), p.tokens.rbegin()));
    }

    void a_system_prompt_replaces_the_default() {
        auto p = build_document_prompt(*tokenizer_, *chat_, documents(), "q", "Be brief.");
        QVERIFY(p.text.rfind("<|im_start|>system\nBe brief.<|im_end|>\n", 0) == 0);
        QVERIFY(p.text.find("SmolLM") == std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestDocumentPrompt)
#include "test_document_prompt.moc"
