#pragma once
// Which container held an address at a past moment. Addresses are reused, so "who is
// 172.18.0.5 now" is not "who was 172.18.0.5 at 03:12". The engine's event history (/events
// with since/until: network connect/disconnect, container start/die/destroy) says which
// containers were attached to the address's network then; a container attached continuously
// from before that moment until now, holding the address now, held it then. Engine events do
// not carry addresses, and the engine keeps only a bounded, in-memory history (lost when it
// restarts): the answer says how far back that history reaches.
#include <chrono>
#include <string_view>

#include "forensic/net/locate.hpp"

namespace forensic::net {

// RFC 3339 ("2026-11-23T09:00:00Z", "2026-11-23T10:00:00.5+01:00") or "<N>s|m|h|d ago"
// ("15m ago"). Throws errc::invalid_argument naming the text.
std::chrono::system_clock::time_point parse_time(
    std::string_view text,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Matches of kind "history": the container that held `options.address` at `at` when the
// events prove it, else every container that was attached to its network then (possible
// holders), and one that holds it now but whose attachment is older than the history (a
// possible holder). Kind "current": it holds it now, attached after `at` (not its holder then;
// named so that the answer never reads as if nothing held it). Warnings say how far back the
// engine's history reaches. Throws errc::invalid_argument when the address does not parse,
// errc::engine_unreachable when the engine cannot be asked (the history is only there), and the
// engine's own errors.
locate_result locate_at(engine::client& engine, const locate_options& options,
                        std::chrono::system_clock::time_point at);

}  // namespace forensic::net
