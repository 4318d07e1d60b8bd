#pragma once
// A plain text table for human output. Every cell is escaped for the terminal (cells often hold
// attacker-chosen strings) and columns are sized to their widest cell, up to a cap.
#include <ostream>
#include <string>
#include <vector>

namespace forensic::cli {

class table {
 public:
  explicit table(std::vector<std::string> headers, std::size_t max_column_width = 48);
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  bool empty() const noexcept { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;  // escaped
  std::size_t max_width_;
};

}  // namespace forensic::cli
