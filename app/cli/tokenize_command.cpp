// glimpse-cli tokenize [--model MODEL.gguf] TEXT: the token ids and pieces of a text.

#include "cli/commands.h"
#include "core/model_setup.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace glimpse::cli {
namespace {

struct TokenizeOptions {
    std::string model;
    std::string text;
    bool no_special = false;
    bool add_bos = false;
    bool ids_only = false;
};

std::string hex_byte(unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    return buf;
}

// Pieces can hold newlines, tabs and parts of a UTF-8 sequence; show them escaped on one line.
std::string printable(const std::string& piece) {
    std::string out;
    for (size_t pos = 0; pos < piece.size();) {
        auto c = static_cast<unsigned char>(piece[pos]);
        auto step = engine::utf8_step(piece, pos);
        if (step.status != engine::Utf8Status::Valid) {
            for (size_t i = 0; i < step.length; ++i) out += hex_byte(static_cast<unsigned char>(piece[pos + i]));
        } else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c < 0x20 || c == 0x7f) out += hex_byte(c);
        else out.append(piece, pos, step.length);
        pos += step.length;
    }
    return out;
}

void run_tokenize(const TokenizeOptions& opt) {
    auto file = engine::GgufFile::open(resolve_model_path(opt.model));
    auto tokenizer = engine::Tokenizer::from_gguf(file);
    auto ids = tokenizer.encode(opt.text, opt.add_bos, !opt.no_special);
    if (opt.ids_only) {
        for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
        std::printf("\n");
        return;
    }
    for (int32_t id : ids) std::printf("%6d  '%s'\n", id, printable(tokenizer.token_to_piece(id)).c_str());
    std::printf("%zu tokens\n", ids.size());
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
    auto opt = std::make_shared<TokenizeOptions>();
    auto* cmd = app.add_subcommand("tokenize", "Show the token ids and pieces of a text");
    cmd->add_option("--model,-m", opt->model, "GGUF model file (default: the default model)");
    cmd->add_option("text", opt->text, "Text to tokenize")->required();
    cmd->add_flag("--no-special", opt->no_special, "Treat special-token text such as <|im_start|> as plain text");
    cmd->add_flag("--bos", opt->add_bos, "Add the BOS token first");
    cmd->add_flag("--ids", opt->ids_only, "Print only the ids, on one line");
    cmd->callback([opt] { run_tokenize(*opt); });
}

}  // namespace glimpse::cli
