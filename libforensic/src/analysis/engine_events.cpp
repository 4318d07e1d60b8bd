// `docker exec` history: the engine records an exec_create and an exec_start event, with the
// command line, for every command run inside the container through its API. Nothing inside the
// container keeps that record, so it is how an intruder's commands through the engine are seen.
#include <fstream>

#include "analysis/context.hpp"
#include "analysis/json_fields.hpp"
#include "forensic/io/time.hpp"
#include "forensic/text/terminal.hpp"

namespace forensic::analysis::detail {
namespace {

using nlohmann::json;

constexpr const char* events_file = "engine/events.jsonl";

// Why a command line run through the engine looks hostile, or "": a network tool as any of its
// words (sh -c "nc ..."), or bash's /dev/tcp redirection.
std::string suspicious(const std::string& cmd) {
  if (cmd.find("/dev/tcp/") != std::string::npos || cmd.find("/dev/udp/") != std::string::npos) {
    return "a /dev/tcp or /dev/udp redirection";
  }
  std::size_t at = 0;
  while (at < cmd.size()) {
    const auto end = cmd.find_first_of(" \t;|&'\"()`", at);
    std::string word = cmd.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (const auto slash = word.rfind('/'); slash != std::string::npos) word.erase(0, slash + 1);
    if (!word.empty() && is_network_tool(word)) return "runs the network tool " + word;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return "";
}

// "timeNano" when the engine sent it, else "time" (seconds).
std::string event_time(const json& e) {
  if (const long long ns = integer(e, "timeNano", 0); ns > 0) {
    return io::format_rfc3339(ns / 1000000000, ns % 1000000000, io::time_precision::micros);
  }
  if (const long long s = integer(e, "time", 0); s > 0) {
    return io::format_rfc3339(s, 0, io::time_precision::seconds);
  }
  return "";
}

}  // namespace

void analyze_engine_events(context& c) {
  auto path = c.file(events_file);
  if (!path) return;
  const std::string& id = c.report.container_id;
  if (id.empty()) {
    c.report.warnings.push_back(std::string(events_file) +
                                ": the container's id is unknown, its exec history not read");
    return;
  }
  std::ifstream in(*path, std::ios::binary);
  std::string line;
  std::size_t number = 0, malformed = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const json e = json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) {
      ++malformed;
      continue;
    }
    const std::string action = text(e, "Action");
    std::string kind;
    for (const char* prefix : {"exec_create", "exec_start"}) {
      if (action.starts_with(std::string(prefix) + ":")) kind = prefix;
    }
    if (kind.empty()) continue;
    json actor = e.contains("Actor") ? e["Actor"] : json::object();
    if (!actor.is_object()) actor = json::object();
    std::string actor_id = text(actor, "ID");
    if (actor_id.empty()) actor_id = text(e, "id");
    if (actor_id != id) continue;  // a sibling container's exec
    std::string cmd = action.substr(kind.size() + 1);
    if (!cmd.empty() && cmd.front() == ' ') cmd.erase(0, 1);
    const std::string time = event_time(e);
    const std::string shown = forensic::text::escape_for_terminal(cmd);
    const std::string verb = kind == "exec_create" ? "exec created" : "exec started";
    c.event(time, "exec", verb + " through the engine: " + shown, events_file, time_source::engine,
            {{"command", cmd}});
    const std::string why = suspicious(cmd);
    json d = {{"action", kind}, {"command", cmd}, {"line", number}};
    if (const auto attrs = actor.find("Attributes"); attrs != actor.end()) {
      if (const std::string exec_id = text(*attrs, "execID"); !exec_id.empty()) {
        d["exec_id"] = exec_id;
      }
    }
    if (!why.empty()) d["why"] = why;
    c.add({"process", "engine_exec", why.empty() ? severity::medium : severity::high,
           verb + " through the engine (docker exec)" + (why.empty() ? "" : ", " + why) + ": " +
               shown,
           events_file, time, d});
  }
  if (malformed > 0) {
    c.report.warnings.push_back(std::string(events_file) + ": " + std::to_string(malformed) +
                                " lines that are not JSON objects skipped");
  }
}

}  // namespace forensic::analysis::detail
