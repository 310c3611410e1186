// Chat templates: Glimpse renders every published template in the parity vectors exactly
// as Python jinja2 does (scripts/make_chat_template_vectors.py), and refuses templates,
// names and conversations it cannot render faithfully with an error a user can act on.

#include "engine/chat/chat_template.h"
#include "engine/chat/date_text.h"
#include "engine/chat/jinja_source.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iomanip>
#include <locale>
#include <sstream>
#include <map>
#include <random>

using namespace engine;
using json = nlohmann::json;

namespace {

const json& vectors() {
    static const json data = [] {
        std::ifstream in(std::string(GLIMPSE_TEST_DATA_DIR) + "/engine/data/chat_template_vectors.json");
        if (!in) qFatal("chat_template_vectors.json missing: run scripts/make_chat_template_vectors.py");
        return json::parse(in);
    }();
    return data;
}

const json& template_entry(const std::string& name) {
    for (const json& t : vectors()["templates"])
        if (t["name"] == name) return t;
    qFatal("no template %s in the vectors", name.c_str());
}

std::vector<ChatMessage> conversation(const std::string& name) {
    for (const json& c : vectors()["conversations"]) {
        if (c["name"] != name) continue;
        std::vector<ChatMessage> messages;
        for (const json& m : c["messages"]) messages.push_back({m["role"], m["content"]});
        return messages;
    }
    qFatal("no conversation %s in the vectors", name.c_str());
}

std::chrono::year_month_day vectors_today() {
    const std::string iso = vectors()["today"];   // YYYY-MM-DD
    return std::chrono::year(std::stoi(iso.substr(0, 4))) / std::stoi(iso.substr(5, 2)) /
           std::stoi(iso.substr(8, 2));
}

ChatTemplate load(const std::string& name) {
    const json& t = template_entry(name);
    ChatTemplate chat = ChatTemplate::from_template_text(t["template"].get<std::string>(), t["bos_token"].get<std::string>(),
                                                         t["eos_token"].get<std::string>());
    chat.set_today(vectors_today());
    return chat;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

void check_names_every_family(const std::string& message) {
    QVERIFY2(!message.empty(), "expected an engine::Error");
    for (std::string_view name : ChatTemplate::family_names())
        QVERIFY2(message.find(name) != std::string::npos, message.c_str());
    QVERIFY2(message.find("--chat-template NAME") != std::string::npos, message.c_str());
}

QByteArray visible(const std::string& s) {
    return QByteArray::fromStdString(json(s).dump());
}

}  // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private slots:
    void renders_exactly_as_jinja_data();
    void renders_exactly_as_jinja();
    void raw_text_survives_whitespace_control_as_in_jinja();
    void string_literals_decode_as_in_jinja();
    void recognises_each_published_family();
    void default_system_prompt_is_read_from_the_template();
    void llama3_date_line_follows_the_today_option();
    void dates_match_strftime_in_the_c_locale();
    void family_overrides_render_the_standard_formats();
    void stop_strings_end_the_assistant_turn();
    void unknown_template_is_an_error_listing_families();
    void empty_template_is_an_error();
    void bad_family_name_is_an_error();
    void variants_that_cannot_be_reproduced_are_errors();
    void unsupported_roles_and_empty_conversations_are_errors();
    void damaged_templates_are_errors_not_crashes();
    void gguf_template_and_bos_eos_texts_are_used();
};

void TestChatTemplate::renders_exactly_as_jinja_data() {
    QTest::addColumn<QString>("template_name");
    QTest::addColumn<QString>("conversation_name");
    QTest::addColumn<bool>("add_generation_prompt");
    QTest::addColumn<int>("enable_thinking");   // -1: undefined
    for (const json& c : vectors()["cases"]) {
        const int thinking = c.contains("enable_thinking") ? int(c["enable_thinking"].get<bool>()) : -1;
        std::string label = c["template"].get<std::string>() + "/" + c["conversation"].get<std::string>() +
                            (c["add_generation_prompt"].get<bool>() ? "/prompt" : "/no-prompt") +
                            (thinking == -1 ? "" : thinking ? "/thinking" : "/no-thinking");
        QTest::newRow(label.c_str()) << QString::fromStdString(c["template"]) << QString::fromStdString(c["conversation"])
                                     << c["add_generation_prompt"].get<bool>() << thinking;
    }
}

void TestChatTemplate::renders_exactly_as_jinja() {
    QFETCH(QString, template_name);
    QFETCH(QString, conversation_name);
    QFETCH(bool, add_generation_prompt);
    QFETCH(int, enable_thinking);
    const json* vector_case = nullptr;
    for (const json& c : vectors()["cases"])
        if (c["template"] == template_name.toStdString() && c["conversation"] == conversation_name.toStdString() &&
            c["add_generation_prompt"] == add_generation_prompt &&
            (c.contains("enable_thinking") ? int(c["enable_thinking"].get<bool>()) : -1) == enable_thinking)
            vector_case = &c;
    QVERIFY(vector_case);
    ChatTemplate chat = load(template_name.toStdString());
    if (enable_thinking != -1) chat.set_enable_thinking(enable_thinking == 1);
    const auto messages = conversation(conversation_name.toStdString());
    if (vector_case->contains("expected")) {
        const std::string expected = (*vector_case)["expected"];
        std::string rendered;
        try {
            rendered = chat.render(messages, add_generation_prompt);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        QCOMPARE(visible(rendered), visible(expected));
    } else {
        // The template itself raises for this conversation; Glimpse must refuse it too.
        QVERIFY_THROWS_EXCEPTION(Error, chat.render(messages, add_generation_prompt));
    }
}

void TestChatTemplate::raw_text_survives_whitespace_control_as_in_jinja() {
    // Tags that print nothing: jinja2's output is exactly the raw text Glimpse must find,
    // since any such text makes a template unrecognisable.
    int checked = 0;
    for (const json& c : vectors()["whitespace_control"]) {
        const std::string text = c["template"];
        const std::string stray = chat_detail::scan_jinja_source(text).stray_text;
        QVERIFY2(stray == c["rendered"], (visible(text) + " -> " + visible(stray) + " instead of " + visible(c["rendered"])).constData());
        ++checked;
    }
    QVERIFY(checked >= 100);
}

void TestChatTemplate::string_literals_decode_as_in_jinja() {
    int checked = 0;
    for (const json& c : vectors()["literals"]) {
        const auto source = chat_detail::scan_jinja_source(c["template"].get<std::string>());
        QCOMPARE(source.literals.size(), size_t(1));
        QCOMPARE(visible(source.literals[0]), visible(c["rendered"]));
        ++checked;
    }
    QVERIFY(checked >= 10);
}

void TestChatTemplate::recognises_each_published_family() {
    for (const json& t : vectors()["templates"]) {
        ChatTemplate chat = load(t["name"]);
        QCOMPARE(std::string(chat.family_name()), t["family"].get<std::string>());
        // BOS text is in the rendered prompt exactly when the template writes bos_token.
        const std::string rendered = chat.render(conversation("single_user"), true);
        const std::string bos = t["bos_token"];
        const bool starts_with_bos = !bos.empty() && rendered.starts_with(bos);
        QCOMPARE(chat.renders_bos(), starts_with_bos);
    }
    QVERIFY(load("llama-3.1-instruct").renders_bos());
    QVERIFY(load("mistral-7b-instruct-v0.3").renders_bos());
    QVERIFY(load("gemma-2-it").renders_bos());
    QVERIFY(load("llama-2-chat").renders_bos());
    QVERIFY(load("smollm2-instruct").renders_bos());   // its BOS token is <|im_start|>
    QVERIFY(!load("qwen2.5-instruct").renders_bos());
    QVERIFY(!load("chatml-plain").renders_bos());
}

void TestChatTemplate::default_system_prompt_is_read_from_the_template() {
    QCOMPARE(load("smollm2-instruct").default_system_prompt(),
             std::string("You are a helpful AI assistant named SmolLM, trained by Hugging Face"));
    QCOMPARE(load("qwen2.5-instruct").default_system_prompt(),
             std::string("You are Qwen, created by Alibaba Cloud. You are a helpful assistant."));
    QCOMPARE(load("chatml-finetune-default").default_system_prompt(),
             std::string("You're Tilly, a terse librarian. Answer in one line."));
    QCOMPARE(load("chatml-plain").default_system_prompt(), std::string());
    ChatTemplate mistral_small = load("mistral-small-3.1-instruct");
    QVERIFY(mistral_small.default_system_prompt().starts_with("You are Mistral Small 3, a Large Language Model"));
    QVERIFY(mistral_small.default_system_prompt().find("The current date is 2025-03-09.\n\n") != std::string::npos);
    mistral_small.set_today(std::chrono::year(2030) / 1 / 2);
    QVERIFY(mistral_small.default_system_prompt().find("The current date is 2030-01-02.\n\n") != std::string::npos);

    // A fine-tune's own default, made up afresh: it must come out as written.
    std::mt19937 rng(std::random_device{}());
    const std::string alphabet = "abcdefghijklmnopqrstuvwxyz ,.!?";
    std::string made_up = "You are ";
    for (int i = 0; i < 40; ++i) made_up += alphabet[rng() % alphabet.size()];
    std::string text = template_entry("smollm2-instruct")["template"];
    const std::string original = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
    text.replace(text.find(original), original.size(), made_up);
    ChatTemplate chat = ChatTemplate::from_template_text(text, "<|im_start|>", "<|im_end|>");
    QCOMPARE(chat.default_system_prompt(), made_up);
    std::vector<ChatMessage> messages{{"user", "Hi"}};
    QCOMPARE(chat.render(messages, true), "<|im_start|>system\n" + made_up +
                                              "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

void TestChatTemplate::llama3_date_line_follows_the_today_option() {
    std::vector<ChatMessage> messages{{"user", "What day is it?"}};
    ChatTemplate llama32 = load("llama-3.2-instruct");
    llama32.set_today(std::chrono::year(2031) / 2 / 1);
    QVERIFY(llama32.render(messages, true).find("\nToday Date: 01 Feb 2031\n\n") != std::string::npos);
    llama32.set_today(std::chrono::year(2024) / 12 / 25);
    QVERIFY(llama32.render(messages, true).find("\nToday Date: 25 Dec 2024\n\n") != std::string::npos);
    // Llama 3.1's template prints a fixed date whatever today is.
    ChatTemplate llama31 = load("llama-3.1-instruct");
    llama31.set_today(std::chrono::year(2031) / 2 / 1);
    const std::string rendered = llama31.render(messages, true);
    QVERIFY(rendered.find("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n") != std::string::npos);
}

void TestChatTemplate::dates_match_strftime_in_the_c_locale() {
    // Reference: std::put_time in the classic locale, on random days from 1900 to 2199.
    std::mt19937 rng(std::random_device{}());
    const std::string format = "%d %b %Y|%e|%m/%y|%B %A %a|%j|%%";
    std::ostringstream reference;
    reference.imbue(std::locale::classic());
    for (int i = 0; i < 2000; ++i) {
        using namespace std::chrono;
        const sys_days day = sys_days(year(1900) / 1 / 1) + days(rng() % (300 * 365));
        const year_month_day ymd(day);
        std::tm tm{};
        tm.tm_year = int(ymd.year()) - 1900;
        tm.tm_mon = int(unsigned(ymd.month())) - 1;
        tm.tm_mday = int(unsigned(ymd.day()));
        tm.tm_wday = int(weekday(day).c_encoding());
        tm.tm_yday = int((day - sys_days(ymd.year() / 1 / 1)).count());
        reference.str("");
        reference << std::put_time(&tm, format.c_str());
        QCOMPARE(chat_detail::format_date(format, ymd), reference.str());
    }
    QVERIFY_THROWS_EXCEPTION(Error, chat_detail::format_date("%H:%M", std::chrono::year(2025) / 1 / 1));
}

void TestChatTemplate::family_overrides_render_the_standard_formats() {
    // Each standard format is the one of a published template: same output for every case.
    const std::map<std::string, std::string> same_as = {
        {"chatml", "chatml-plain"}, {"llama2", "llama-2-chat"}, {"llama3", "llama-3-instruct"}, {"mistral-v1", "mistral-7b-instruct-v0.1"},
        {"mistral-v3", "mistral-7b-instruct-v0.3"}, {"gemma", "gemma-3-it"}};
    for (const auto& [family, published] : same_as) {
        const json& t = template_entry(published);
        ChatTemplate chat = ChatTemplate::from_family_name(family, t["bos_token"].get<std::string>(), t["eos_token"].get<std::string>());
        QCOMPARE(std::string(chat.family_name()), family);
        int compared = 0;
        for (const json& c : vectors()["cases"]) {
            if (c["template"] != published || !c.contains("expected")) continue;
            const std::string rendered = chat.render(conversation(c["conversation"]), c["add_generation_prompt"]);
            QCOMPARE(visible(rendered), visible(c["expected"]));
            ++compared;
        }
        QVERIFY(compared > 10);
    }
    ChatTemplate v7 = ChatTemplate::from_family_name("mistral-v7", "<s>", "</s>");
    std::vector<ChatMessage> messages{{"system", "Be kind."}, {"user", "Hi"}, {"assistant", "Hello"}, {"user", "Bye"}};
    QCOMPARE(v7.render(messages, true), std::string("<s>[SYSTEM_PROMPT]Be kind.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello</s>[INST]Bye[/INST]"));
}

void TestChatTemplate::stop_strings_end_the_assistant_turn() {
    auto stops = [](const std::string& name) { return load(name).stop_strings(); };
    QCOMPARE(stops("smollm2-instruct"), std::vector<std::string>{"<|im_end|>"});
    QCOMPARE(stops("llama-3.1-instruct"), std::vector<std::string>{"<|eot_id|>"});
    QCOMPARE(stops("mistral-7b-instruct-v0.2"), std::vector<std::string>{"</s>"});
    QCOMPARE(stops("gemma-2-it"), (std::vector<std::string>{"<end_of_turn>", "<eos>"}));
}

void TestChatTemplate::unknown_template_is_an_error_listing_families() {
    const std::string vicuna = "{% for m in messages %}{{ m['role'] | upper }}: {{ m['content'] }}\n{% endfor %}ASSISTANT:";
    const std::string message = error_of([&] { ChatTemplate::from_template_text(vicuna, "<s>", "</s>"); });
    check_names_every_family(message);
    QVERIFY2(message.find("unrecognised") != std::string::npos, message.c_str());
}

void TestChatTemplate::empty_template_is_an_error() {
    check_names_every_family(error_of([] { ChatTemplate::from_template_text("", "<s>", "</s>"); }));
    check_names_every_family(error_of([] { ChatTemplate::from_template_text(" \n\t ", "<s>", "</s>"); }));
}

void TestChatTemplate::bad_family_name_is_an_error() {
    for (const char* name : {"", "ChatML", "llama-3", "mistral", "vicuna"}) {
        const std::string message = error_of([&] { ChatTemplate::from_family_name(name, "<s>", "</s>"); });
        check_names_every_family(message);
        std::string quoted = "\"";
        quoted.append(name).append("\"");
        QVERIFY2(message.find(quoted) != std::string::npos, message.c_str());
    }
    for (std::string_view name : ChatTemplate::family_names())
        QCOMPARE(ChatTemplate::from_family_name(name, "<s>", "</s>").family_name(), name);
}

void TestChatTemplate::variants_that_cannot_be_reproduced_are_errors() {
    const std::string smollm2 = template_entry("smollm2-instruct")["template"];
    const std::string llama3 = template_entry("llama-3-instruct")["template"];
    const std::vector<std::pair<std::string, std::string>> variants = {
        // Raw text outside tags would be printed; ChatML with a different turn layout.
        {"raw text", "Conversation:\n" + smollm2},
        {"chatml turn layout", "{% for m in messages %}{{ '<|im_start|>' + m['role'] + ': ' + m['content'] + '<|im_end|>' }}{% endfor %}"
                                "{{ '<|im_start|>assistant\\n' }}"},
        {"llama3 untrimmed", [&] {
             std::string t = llama3;
             t.replace(t.find(" | trim"), 7, "");
             return t;
         }()},
        {"llama2 variant with system turns", "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + message['content'] + '\\n<</SYS>>\\n\\n' }}"
                       "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"},
        {"think block without qwen3's handling", smollm2 + "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}"},
        {"unclosed tag", "{{ '<|im_start|>' + message['role']"},
        {"unknown date directive", [&] {
             std::string t = template_entry("llama-3.2-instruct")["template"];
             t.replace(t.find("%d %b %Y"), 8, "%d %b %Y %H:%M");
             return t;
         }()},
    };
    for (const auto& [label, text] : variants) {
        const std::string message = error_of([&] { ChatTemplate::from_template_text(text, "<s>", "</s>"); });
        QVERIFY2(!message.empty(), label.c_str());
        check_names_every_family(message);
    }
}

void TestChatTemplate::unsupported_roles_and_empty_conversations_are_errors() {
    for (const json& t : vectors()["templates"]) {
        ChatTemplate chat = load(t["name"]);
        QVERIFY_THROWS_EXCEPTION(Error, chat.render(std::vector<ChatMessage>{}, true));
        std::vector<ChatMessage> tool{{"user", "Weather?"}, {"tool", "sunny"}};
        const std::string message = error_of([&] { chat.render(tool, true); });
        QVERIFY2(message.find("\"tool\"") != std::string::npos, message.c_str());
    }
}

void TestChatTemplate::damaged_templates_are_errors_not_crashes() {
    std::mt19937 rng(std::random_device{}());
    const std::string noise = "{}%#-+'\"\\ \n[]<|>x";
    const auto messages = conversation("system_multi_turn");
    int refused = 0, recognised = 0;
    for (const json& t : vectors()["templates"]) {
        const std::string original = t["template"];
        for (int i = 0; i < 300; ++i) {
            std::string text = original;
            switch (rng() % 4) {
            case 0: text.resize(rng() % text.size()); break;
            case 1: text.erase(rng() % text.size(), 1 + rng() % 40); break;
            case 2: text.insert(rng() % text.size(), 1 + rng() % 3, noise[rng() % noise.size()]); break;
            case 3: text.insert(rng() % text.size(), text.substr(rng() % text.size(), 1 + rng() % 60)); break;
            }
            try {
                ChatTemplate chat = ChatTemplate::from_template_text(text, "<s>", "</s>");
                ++recognised;
                try {
                    chat.render(messages, true);
                } catch (const Error&) {
                }
            } catch (const Error& e) {
                ++refused;
                QVERIFY(std::string(e.what()).find("--chat-template NAME") != std::string::npos);
            } catch (...) {
                QFAIL(("a damaged " + t["name"].get<std::string>() + " template threw something other than engine::Error").c_str());
            }
        }
    }
    QVERIFY(refused > 0);
    QVERIFY(recognised > 0);
    // A template that is one huge literal is refused without deep recursion.
    const std::string huge = "{{ '[INST] " + std::string(2'000'000, 'a') + "' + message['content'] + eos_token }}";
    QVERIFY_THROWS_EXCEPTION(Error, ChatTemplate::from_template_text(huge, "<s>", "</s>"));
}

void TestChatTemplate::gguf_template_and_bos_eos_texts_are_used() {
    auto model_with = [](const std::optional<std::string>& chat_template) {
        GgufWriter w;
        w.set_string("general.architecture", "llama");
        w.set("tokenizer.ggml.tokens", GgufValue::string_array({"<unk>", "<|begin_of_text|>", "<|eot_id|>", "hi"}));
        w.set_u32("tokenizer.ggml.bos_token_id", 1);
        w.set_u32("tokenizer.ggml.eos_token_id", 2);
        if (chat_template) w.set_string("tokenizer.chat_template", *chat_template);
        return GgufFile::parse(w.to_bytes(), "tiny.gguf");
    };
    const std::string llama3 = template_entry("llama-3-instruct")["template"];
    ChatTemplate chat = ChatTemplate::from_gguf(model_with(llama3));
    QCOMPARE(chat.family(), ChatTemplateFamily::Llama3);
    std::vector<ChatMessage> messages{{"user", " hi "}};
    QCOMPARE(chat.render(messages, true),
             std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                         "<|start_header_id|>assistant<|end_header_id|>\n\n"));

    // No template: an error naming the file, unless a family is given.
    const std::string message = error_of([&] { ChatTemplate::from_gguf(model_with(std::nullopt)); });
    check_names_every_family(message);
    QVERIFY2(message.find("tiny.gguf") != std::string::npos, message.c_str());
    QVERIFY2(message.find("tokenizer.chat_template") != std::string::npos, message.c_str());
    ChatTemplate forced = ChatTemplate::from_gguf(model_with(std::nullopt), std::string("gemma"));
    QCOMPARE(forced.render(messages, false), std::string("<|begin_of_text|><start_of_turn>user\nhi<end_of_turn>\n"));
    // An unrecognised template in the file names the file too.
    const std::string bad = error_of([&] { ChatTemplate::from_gguf(model_with(std::string("{{ messages }}"))); });
    QVERIFY2(bad.find("tiny.gguf") != std::string::npos, bad.c_str());
    check_names_every_family(bad);
}

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
