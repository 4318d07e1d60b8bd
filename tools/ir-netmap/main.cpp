// ir-netmap: which container sits behind which veth, bridge and network, and what the
// firewall does with their subnets and ports.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/table.hpp"
#include "cli/tool.hpp"
#include "forensic/formats/graph.hpp"
#include "forensic/net/netmap.hpp"

namespace {

using namespace forensic;

const cli::tool_info info{
    "ir-netmap", "ir-netmap [--json | --dot] [--host URI]",
    "  Maps every container to its network namespace, its interfaces inside (name, MAC,\n"
    "  addresses), the host-side veth of each, the bridge that veth is enslaved to and the\n"
    "  Docker network of that bridge; then every Docker bridge with its subnets as the engine\n"
    "  sees them and as the iptables rules see them (MASQUERADE, isolation) and its published\n"
    "  ports (DNAT). Reads netlink (one dump of the host plus one small query per namespace),\n"
    "  /proc and iptables-save; never enters a container, never runs ip or nsenter.\n"
    "  --network host containers are shown with no veth (mode host); --network container:X\n"
    "  ones name X. When the engine is down, containers are found from their namespaces and\n"
    "  cgroups and their names are reported as unknown. Places where the engine's view and the\n"
    "  rules disagree are listed last.\n",
    "JSON OUTPUT\n"
    "  --json prints {\"schema\": \"forensic.netmap/1\", \"containers\": [...], \"bridges\": "
    "[...],\n"
    "  \"firewall\": {...}, \"disagreements\": [...], \"warnings\": [...]}: docs/json-net.md.\n"
    "  --dot prints the map as a Graphviz graph (containers -> veths -> bridges -> NAT ->\n"
    "  outside, published ports): docs/formats.md.\n\n"
    "EXAMPLES\n"
    "  ir-netmap\n"
    "  ir-netmap --json | jq '.containers[] | {name, veths: [.interfaces[].host_veth.name]}'\n"};

std::string addresses_of(const net::interface_info& i) {
  std::string out;
  for (const auto& a : i.addresses) {
    if (a.address.starts_with("fe80:")) continue;
    out += (out.empty() ? "" : ",") + a.address + "/" + std::to_string(a.prefix);
  }
  return out.empty() ? "-" : out;
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

void print_containers(const net::network_map& m) {
  cli::table t({"CONTAINER", "PID", "NETNS", "MODE", "IF", "MAC", "ADDRESSES", "HOST VETH",
                "BRIDGE", "NETWORK"});
  for (const auto& c : m.links.containers) {
    const std::string name = !c.container_name.empty() ? c.container_name
                             : c.container_id.empty()
                                 ? "?"
                                 : c.container_id.substr(0, 12) + " (name unknown)";
    std::string mode = c.network_mode;
    if (!c.shares_namespace_with.empty())
      mode = "container:" + c.shares_namespace_with.substr(0, 12);
    if (c.interfaces.empty()) {
      t.add_row({name, c.pid ? std::to_string(c.pid) : "-",
                 c.netns_inode ? std::to_string(c.netns_inode) : "-", mode,
                 c.network_mode == "host" ? "(host's)" : "-", "-", "-",
                 c.network_mode == "host" ? "none: --network host" : "-", "-", "-"});
      continue;
    }
    for (const auto& i : c.interfaces) {
      t.add_row({name, std::to_string(c.pid), std::to_string(c.netns_inode), mode, i.inside.name,
                 or_dash(i.inside.mac), addresses_of(i.inside),
                 i.host_veth ? i.host_veth->name + " (" + std::to_string(i.host_veth->ifindex) + ")"
                             : "-",
                 or_dash(i.bridge), or_dash(i.docker_network)});
    }
  }
  t.print(std::cout);
}

void print_bridges(const net::network_map& m) {
  cli::table t({"BRIDGE", "NETWORK", "ENGINE SUBNETS", "IPTABLES SUBNETS", "PORTS", "PUBLISHED"});
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out.empty() ? "-" : out;
  };
  for (const auto& b : m.bridges) {
    std::string published;
    for (const auto& p : b.publications) {
      published += (published.empty() ? "" : ",") +
                   (p.host_address.empty() ? "*" : p.host_address) + ":" + p.host_port + "->" +
                   p.container_address + ":" + p.container_port + "/" + p.protocol;
    }
    t.add_row({b.bridge.name, or_dash(b.bridge.docker_network) + (b.internal ? " (internal)" : ""),
               join(b.bridge.engine_subnets), join(b.iptables_subnets),
               std::to_string(b.bridge.ports.size()), or_dash(published)});
  }
  std::cout << "\n";
  t.print(std::cout);
}

int run(int argc, char** argv) {
  cli::po::options_description options("OPTIONS");
  options.add_options()("json", "print JSON instead of tables")(
      "dot", "print a Graphviz graph (render with dot -Tsvg)");
  cli::add_engine_options(options);
  cli::po::variables_map vm;
  if (!cli::parse_command_line(argc, argv, info, options, vm)) return cli::exit_ok;

  if (vm.count("json") && vm.count("dot")) {
    throw error(errc::invalid_argument, "--json and --dot exclude each other");
  }
  engine::client engine(cli::engine_options(vm));
  engine.set_cancel_flag(cli::install_interrupt_flag());
  const auto m = net::build_network_map(&engine);
  if (vm.count("dot")) {
    std::cout << formats::to_dot(m);
    for (const auto& w : m.links.warnings) std::cerr << "ir-netmap: warning: " << w << "\n";
    return cli::exit_ok;
  }
  if (vm.count("json")) {
    cli::print_json(std::cout, net::to_json(m));
    return cli::exit_ok;
  }
  print_containers(m);
  print_bridges(m);
  for (const auto& d : m.disagreements) std::cout << "DISAGREE: " << d << "\n";
  for (const auto& w : m.links.warnings) std::cerr << "ir-netmap: warning: " << w << "\n";
  for (const auto& w : m.warnings) std::cerr << "ir-netmap: warning: " << w << "\n";
  return cli::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  return forensic::cli::run_tool(info, [&] { return run(argc, argv); });
}
