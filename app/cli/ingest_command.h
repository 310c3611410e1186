#pragma once
// `glimpse-cli ingest FILE... [--dump OUT] [--no-ocr] [--password P] [--bench]`: reads
// documents the way the app will and prints what came out of each.

namespace CLI { class App; }

// Registers the `ingest` subcommand on `app`. The subcommand runs in its own callback and
// exits with status 1 (through CLI::RuntimeError) when any file could not be read.
void add_ingest_command(CLI::App& app);
