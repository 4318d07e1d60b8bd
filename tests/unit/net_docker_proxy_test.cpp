// docker-proxy command lines as dockerd writes them.
#include <doctest/doctest.h>

#include "forensic/net/docker_proxy.hpp"

TEST_CASE("docker-proxy command lines") {
  using forensic::net::parse_docker_proxy;
  auto p = parse_docker_proxy({"/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0",
                               "-host-port", "8080", "-container-ip", "172.17.0.2",
                               "-container-port", "80"});
  REQUIRE(p);
  CHECK(p->protocol == "tcp");
  CHECK(p->host_ip == "0.0.0.0");
  CHECK(p->host_port == 8080);
  CHECK(p->container_ip == "172.17.0.2");
  CHECK(p->container_port == 80);
  auto q = parse_docker_proxy({"docker-proxy", "--proto=udp", "--host-ip=::", "--host-port=53",
                               "--container-ip=fd00::2", "--container-port=5353"});
  REQUIRE(q);
  CHECK(q->protocol == "udp");
  CHECK(q->container_ip == "fd00::2");
  CHECK(q->container_port == 5353);
  CHECK_FALSE(parse_docker_proxy({"/usr/bin/socat", "-host-port", "1", "-container-port", "2"}));
  CHECK_FALSE(parse_docker_proxy({"docker-proxy", "-host-port", "99999", "-container-port", "2"}));
  CHECK_FALSE(parse_docker_proxy({"docker-proxy", "-host-port"}));
  CHECK_FALSE(parse_docker_proxy({}));
}
