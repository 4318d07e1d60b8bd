#pragma once
// rtnetlink link notifications (RTMGRP_LINK): which interfaces appear and go while a capture
// runs. The mechanism only; what to do with a new link is the caller's (capture_options::follow).
// Private to the capture module.
#include <string>
#include <vector>

#include "forensic/io/unique_fd.hpp"

namespace forensic::capture::detail {

struct link_event {
  bool added = true;  // RTM_NEWLINK (new, or changed); false: RTM_DELLINK
  int ifindex = 0;
  std::string name;
};

class link_watch {
 public:
  // Subscribes; throws forensic::error when the kernel refuses.
  link_watch();
  int selectable_fd() const noexcept { return fd_.get(); }
  // Appends every notification waiting now. Returns false when the kernel dropped some (its
  // socket buffer overflowed): the caller must then look at the links again itself.
  bool read(std::vector<link_event>& out);

 private:
  io::unique_fd fd_;
};

}  // namespace forensic::capture::detail
