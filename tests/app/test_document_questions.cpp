// The questions file of `glimpse-cli eval --doc`: read as written, and every kind of bad
// file refused with its name and the entry at fault.

#include "app/eval/document_questions.h"
#include "engine/error.h"

#include <QtTest/QtTest>

#include <fstream>

class TestDocumentQuestions : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    std::filesystem::path write(const char* name, const std::string& text) {
        const std::filesystem::path path = dir_.filePath(name).toStdString();
        std::ofstream(path) << text;
        return path;
    }

    QString error_of(const std::filesystem::path& path) {
        try {
            glimpse::eval::load_document_questions(path);
        } catch (const engine::Error& e) {
            return QString::fromStdString(e.what());
        }
        return {};
    }

private slots:
    void reads_questions_and_accepted_answers() {
        const auto q = glimpse::eval::load_document_questions(
            write("q.json", R"([{"q": "Who wrote bzip2?", "a": ["Julian Seward", "Seward"]}, {"q": "Which CRC?", "a": ["CRC-32"]}])"));
        QCOMPARE(q.size(), size_t(2));
        QCOMPARE(q[0].question, std::string("Who wrote bzip2?"));
        QCOMPARE(q[0].answers, (std::vector<std::string>{"Julian Seward", "Seward"}));
        QCOMPARE(q[1].answers.front(), std::string("CRC-32"));
    }

    void bad_files_name_what_is_wrong() {
        QVERIFY(error_of(write("a.json", "[{\"q\": ")).contains("a.json: not valid JSON"));
        QVERIFY(error_of(write("b.json", "{}")).contains("b.json: expected a non-empty JSON list"));
        QVERIFY(error_of(write("c.json", R"([{"q": "x", "a": ["y"]}, {"a": ["y"]}])")).contains("entry 2: needs \"q\""));
        QVERIFY(error_of(write("d.json", R"([{"q": "x", "a": []}])")).contains("entry 1: needs \"a\""));
        QVERIFY(error_of(write("e.json", R"([{"q": "x", "a": [3]}])")).contains("every accepted answer must be a non-empty string"));
        QVERIFY(error_of(dir_.filePath("missing.json").toStdString()).contains("missing.json: cannot be read"));
    }
};

QTEST_GUILESS_MAIN(TestDocumentQuestions)
#include "test_document_questions.moc"
