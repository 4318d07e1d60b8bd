#pragma once
// What every ir-* tool shares: the one catch at the boundary, man-style help, engine options
// (--host, --timeout), interruption by SIGINT/SIGTERM, and terminal-safe printing.
#include <atomic>
#include <boost/program_options.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cli/exit_codes.hpp"
#include "forensic/engine/client.hpp"
#include "forensic/formats/siem.hpp"

namespace forensic::cli {

namespace po = boost::program_options;

struct tool_info {
  const char* name;             // "ir-ps"
  const char* synopsis;         // "ir-ps [--all] [--json] [--filter K=V]... [--host URI]"
  const char* description;      // paragraphs, already wrapped at 100 columns
  const char* extra_help = "";  // EXAMPLES, JSON notes: printed after the options
};

// Runs `body`, turning every exception into one line on stderr ("ir-ps: <message>") and a
// documented exit code. `body` returns the exit code of a normal run.
int run_tool(const tool_info& info, const std::function<int()>& body) noexcept;

// Prints NAME/SYNOPSIS/DESCRIPTION/OPTIONS/EXIT STATUS in man style.
void print_help(const tool_info& info, const po::options_description& options);

// Parses argv; on --help prints help and returns false (the caller exits 0).
bool parse_command_line(int argc, char** argv, const tool_info& info,
                        const po::options_description& options, po::variables_map& vm,
                        const po::positional_options_description* positional = nullptr);

// Adds --host URI and --timeout SECONDS.
void add_engine_options(po::options_description& options);
engine::client_options engine_options(const po::variables_map& vm);

// Installs SIGINT/SIGTERM handlers that set (and return) a flag the library polls.
const std::atomic<bool>* install_interrupt_flag();

// --format ecs|ocsf for the tools that print SIEM lines: nullopt without --format; a usage
// error for another name or together with --json.
std::optional<formats::siem_format> siem_format_option(const po::variables_map& vm);

// Writes `text` to `path` as the tools write reports: into `path`.partial (mode 0600), fsynced,
// then renamed over `path`, so that a reader never sees half a file.
void write_file_atomically(const std::string& path, const std::string& text);

// Prints `doc` to `out` as every --json does: indented by two, invalid UTF-8 replaced by U+FFFD,
// then a newline. Streamed in 64 KiB pieces: the text of a document about hundreds of
// containers is megabytes, and building it whole costs a fresh page for every 4 KiB of it.
void print_json(std::ostream& out, const nlohmann::json& doc);

// The same text for `doc` whose member `array_key` (an array, empty in `doc`) holds the
// `count` values element(0), element(1)...: each is built, written and freed in turn, so a
// document about hundreds of containers is never held whole.
void print_json(std::ostream& out, const nlohmann::json& doc, const std::string& array_key,
                std::size_t count, const std::function<nlohmann::json(std::size_t)>& element);

// True when stdout is a terminal (progress lines, colours are only shown there).
bool stdout_is_terminal();

}  // namespace forensic::cli
