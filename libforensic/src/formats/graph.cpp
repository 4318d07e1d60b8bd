// Graphviz DOT for the network map (docs/formats.md).
#include "forensic/formats/graph.hpp"

#include <set>

namespace forensic::formats {
namespace {

std::string quoted(std::string_view s) { return "\"" + dot_escape(s) + "\""; }

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string addresses(const net::interface_info& i) {
  std::vector<std::string> out;
  for (const auto& a : i.addresses) out.push_back(a.address + "/" + std::to_string(a.prefix));
  return join(out, "\n");
}

std::string container_label(const net::container_links& c) {
  std::string name = !c.container_name.empty() ? c.container_name
                     : c.container_id.empty()  ? "pid " + std::to_string(c.pid)
                                               : c.container_id.substr(0, 12) + " (name unknown)";
  std::string label = name;
  if (!c.container_id.empty()) label += "\n" + c.container_id.substr(0, 12);
  if (c.pid) label += "\npid " + std::to_string(c.pid);
  return label;
}

std::string container_node(const net::container_links& c) {
  return "container:" + (c.container_id.empty() ? std::to_string(c.pid) : c.container_id);
}

}  // namespace

std::string dot_escape(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

std::string to_dot(const net::network_map& m) {
  std::string o;
  o += "digraph netmap {\n";
  o += "  rankdir=LR;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  o += "  \"outside\" [label=\"outside\\n(peers beyond the host)\", shape=ellipse];\n";
  o += "  \"host\" [label=\"host: NAT (MASQUERADE)\\nand published ports\", shape=hexagon];\n";
  o += "  \"host\" -> \"outside\";\n";
  std::set<std::string> internal;
  for (const auto& b : m.bridges) {
    const std::string id = "bridge:" + b.bridge.name;
    std::string label = b.bridge.name;
    if (!b.bridge.docker_network.empty()) label += "\nnetwork " + b.bridge.docker_network;
    if (!b.bridge.engine_subnets.empty()) label += "\n" + join(b.bridge.engine_subnets, ", ");
    if (b.internal) label += "\n(internal: no route out)";
    o += "  " + quoted(id) + " [label=" + quoted(label) + ", shape=component" +
         (b.internal ? ", style=dashed" : "") + "];\n";
    if (b.internal) {
      internal.insert(b.bridge.name);
    } else {
      o += "  " + quoted(id) + " -> \"host\" [label=" +
           quoted(b.iptables_subnets.empty() ? "routed" : "NAT " + join(b.iptables_subnets, ", ")) +
           "];\n";
    }
    for (const auto& p : b.publications) {
      o += "  \"outside\" -> " + quoted("address:" + p.container_address) + " [label=" +
           quoted((p.host_address.empty() ? "*" : p.host_address) + ":" + p.host_port + " -> " +
                  p.container_port + "/" + p.protocol) +
           ", style=dotted];\n";
      o += "  " + quoted("address:" + p.container_address) +
           " [label=" + quoted(p.container_address) + ", shape=plaintext];\n";
      o += "  " + quoted("address:" + p.container_address) + " -> " + quoted(id) +
           " [style=dotted];\n";
    }
  }
  for (const auto& c : m.links.containers) {
    const std::string node = container_node(c);
    o += "  " + quoted(node) + " [label=" + quoted(container_label(c)) + ", shape=box3d];\n";
    if (c.network_mode == "host") {
      o += "  " + quoted(node) + " -> \"host\" [label=\"--network host\"];\n";
      continue;
    }
    if (!c.shares_namespace_with.empty()) {
      o += "  " + quoted(node) + " -> " + quoted("container:" + c.shares_namespace_with) +
           " [label=\"shares its network namespace\", style=dashed];\n";
      continue;
    }
    for (const auto& i : c.interfaces) {
      if (!i.host_veth) continue;
      const std::string veth = "veth:" + i.host_veth->name;
      o += "  " + quoted(veth) + " [label=" +
           quoted(i.host_veth->name + "\n(" + i.inside.name + " inside: " + addresses(i.inside) +
                  ")") +
           ", shape=ellipse];\n";
      o += "  " + quoted(node) + " -> " + quoted(veth) + ";\n";
      if (!i.bridge.empty())
        o += "  " + quoted(veth) + " -> " + quoted("bridge:" + i.bridge) + ";\n";
    }
  }
  o += "}\n";
  return o;
}

}  // namespace forensic::formats
