#include "cli/table.hpp"

#include <algorithm>

#include "forensic/text/terminal.hpp"

namespace forensic::cli {
namespace {

std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

}  // namespace

table::table(std::vector<std::string> headers, std::size_t max_column_width)
    : headers_(std::move(headers)), max_width_(max_column_width) {}

void table::add_row(std::vector<std::string> cells) {
  for (auto& c : cells) c = text::escape_for_terminal(c);
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void table::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  for (const auto& h : headers_) widths.push_back(display_width(h));
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::min(max_width_, std::max(widths[i], display_width(row[i])));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      // The last column is never cut: it holds lists (addresses, flags) worth reading whole.
      line += last ? row[i] : text::fit_column(row[i], widths[i]);
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace forensic::cli
