// ir-netmap --dot: a map with hostile names renders with Graphviz's dot, names intact.
#include <doctest/doctest.h>

#include "forensic/formats/graph.hpp"
#include "support/process.hpp"

using namespace forensic;

TEST_CASE("the network map as DOT: containers, veths, bridges, NAT, published ports") {
  net::network_map m;
  net::container_links c;
  c.container_id = std::string(64, 'a');
  c.container_name = "web\"] -> evil [label=\"x\n";  // tries to end the string
  c.pid = 42;
  net::container_interface i;
  i.inside.name = "eth0";
  i.inside.addresses.push_back({"172.18.0.2", 16, 2});
  net::interface_info veth;
  veth.name = "veth1234";
  i.host_veth = veth;
  i.bridge = "br-0123456789ab";
  c.interfaces.push_back(i);
  m.links.containers.push_back(c);
  net::container_links host_net;
  host_net.container_id = std::string(64, 'b');
  host_net.container_name = "agent";
  host_net.network_mode = "host";
  m.links.containers.push_back(host_net);
  net::bridge_view b;
  b.bridge.name = "br-0123456789ab";
  b.bridge.docker_network = "shop";
  b.bridge.engine_subnets = {"172.18.0.0/16"};
  b.iptables_subnets = {"172.18.0.0/16"};
  b.publications.push_back({"tcp", "", "8080", "172.18.0.2", "80", "br-0123456789ab", ""});
  m.bridges.push_back(b);
  net::bridge_view internal;
  internal.bridge.name = "br-internal0000";
  internal.internal = true;
  m.bridges.push_back(internal);

  const std::string dot = formats::to_dot(m);
  // Escaped inside its string, so never an edge or an attribute list of its own.
  CHECK(dot.find("web\\\"] -> evil [label=\\\"x\\n") != std::string::npos);
  CHECK(dot.find("\"bridge:br-internal0000\" -> \"host\"") == std::string::npos);
  CHECK(dot.find("\"bridge:br-0123456789ab\" -> \"host\"") != std::string::npos);
  CHECK(dot.find("--network host") != std::string::npos);
  const auto svg = testing::run({"dot", "-Tsvg"}, dot);
  INFO(svg.err);
  REQUIRE(svg.exit_code == 0);
  CHECK(svg.err.empty());
  CHECK(svg.out.find("veth1234") != std::string::npos);
  CHECK(svg.out.find("*:8080 &#45;&gt; 80/tcp") != std::string::npos);
  CHECK(svg.out.find("web&quot;] &#45;&gt; evil") != std::string::npos);
}
