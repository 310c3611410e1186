#pragma once
// `glimpse-cli ingest FILE... [--dump OUT] [--no-ocr] [--password P] [--bench]`: reads
// documents the way the app will and prints what came out of each.

namespace CLI {
class App;
}

namespace glimpse::cli {

// Registers the `ingest` subcommand on `app`. Files that cannot be read are reported one
// by one and the others still read; at the end the callback throws engine::Error if any
// failed, so main() prints one summary line and exits with status 1.
void add_ingest_command(CLI::App& app);

}  // namespace glimpse::cli
