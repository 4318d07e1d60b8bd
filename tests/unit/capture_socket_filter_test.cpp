// The shared packet socket's kernel filter: the binary search on the interface index accepts
// exactly the chosen interfaces, for any number of them, and hands a match to the user's
// program. Run here by a small classic-BPF interpreter of the instructions the builder emits
// (the kernel's own loader would need a socket).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "capture/packet_socket.hpp"

using forensic::capture::detail::interface_program;

namespace {

// Returns the accepted length for a packet that crossed `ifindex`; A is loaded from the
// ancillary interface index, the user's program is a single `ret`.
std::uint32_t run(const std::vector<sock_filter>& code, std::uint32_t ifindex) {
  std::uint32_t a = 0;
  std::size_t pc = 0;
  for (int steps = 0; steps < 100000; ++steps) {
    REQUIRE(pc < code.size());
    const sock_filter& in = code[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        REQUIRE(in.k == static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_IFINDEX));
        a = ifindex;
        ++pc;
        break;
      case BPF_JMP | BPF_JA:
        pc += 1 + in.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += 1 + (a == in.k ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += 1 + (a > in.k ? in.jt : in.jf);
        break;
      case BPF_RET | BPF_K:
        return in.k;
      default:
        FAIL("unexpected instruction " << in.code);
        return 0;
    }
  }
  FAIL("the program does not end");
  return 0;
}

}  // namespace

TEST_CASE("shared socket filter: accepts exactly the chosen interface indexes") {
  const std::vector<sock_filter> user{{BPF_RET | BPF_K, 0, 0, 1500}};
  std::mt19937 random(19);
  for (std::size_t n : {0, 1, 2, 3, 4, 5, 7, 16, 100, 301, 1000}) {
    std::set<int> chosen;
    while (chosen.size() < n) chosen.insert(static_cast<int>(random() % 5000) + 1);
    const std::vector<int> list(chosen.begin(), chosen.end());
    const auto code = interface_program(list, user, 262144);
    CHECK(code.size() <= BPF_MAXINSNS);
    for (int index = 0; index <= 5001; ++index) {
      const std::uint32_t want = chosen.count(index) ? 1500 : 0;
      if (run(code, static_cast<std::uint32_t>(index)) != want) {
        FAIL("interface " << index << " of " << n << " chosen: wrong verdict");
      }
    }
  }
}

TEST_CASE("shared socket filter: no user filter keeps the snaplen; duplicates are harmless") {
  const auto code = interface_program({7, 3, 7, 3, 9}, {}, 262144);
  CHECK(run(code, 3) == 262144);
  CHECK(run(code, 7) == 262144);
  CHECK(run(code, 9) == 262144);
  CHECK(run(code, 8) == 0);
  CHECK(run(code, 0) == 0);
  const auto none = interface_program({}, {}, 262144);
  CHECK(none.size() == 1);
  CHECK(run(none, 3) == 0);
}
