#include "forensic/proc/memory.hpp"

#include <elf.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "forensic/error.hpp"
#include "proc/proc_files.hpp"

namespace forensic::proc {
namespace {

#if defined(__x86_64__)
constexpr std::uint16_t native_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t native_machine = EM_AARCH64;
#else
#error "ELF core writer: unknown machine"
#endif

constexpr std::size_t piece = 1u << 20;  // one pread / one write of memory
// e_phnum is 16 bits; PN_XNUM (0xffff) would move the count into a section header.
constexpr std::size_t most_loads = PN_XNUM - 2;

std::uint64_t page_size() {
  static const std::uint64_t size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t to) { return (v + to - 1) / to * to; }

bool parse_hex(std::string_view text, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

bool parse_dec(std::string_view text, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

// Next field separated by spaces; `rest` moves past it.
std::string_view next_field(std::string_view& rest) {
  const auto begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  const auto end = rest.find(' ');
  const std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  return field;
}

// Why a mapping is not read at all, or "" when it is.
std::string skip_reason(const memory_mapping& m) {
  if (m.perms.empty() || m.perms[0] != 'r') return "not readable (" + m.perms + ")";
  if (m.path == "[vvar]" || m.path == "[vvar_vclock]") {
    return m.path + ": kernel data the process maps but /proc/<pid>/mem does not read";
  }
  if (m.path == "[vsyscall]") return "[vsyscall]: the kernel's page, not the process's memory";
  if (m.path.rfind("/dev/", 0) == 0 && m.path.rfind("/dev/shm/", 0) != 0 &&
      m.path.rfind("/dev/zero", 0) != 0) {
    return "device mapping (I/O memory is not read)";
  }
  return {};
}

// Fields of /proc/<pid>/stat after the command (which may hold spaces and parentheses).
std::vector<std::string> stat_fields(const std::string& stat) {
  std::vector<std::string> out;
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream in(stat.substr(close + 1));
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

long stat_number(const std::vector<std::string>& f, std::size_t field) {
  // field numbers as in proc(5): 3 is the state, the first after the command.
  const std::size_t i = field - 3;
  if (i >= f.size()) return 0;
  long v = 0;
  std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
  return v;
}

unsigned status_id(const std::string& status, std::string_view key, std::size_t which) {
  std::istringstream in(status_field(status, key));
  unsigned v = 0;
  for (std::size_t i = 0; i <= which && (in >> v); ++i) {
  }
  return v;
}

void add_note(std::string& notes, std::uint32_t type, const void* desc, std::size_t size) {
  static constexpr char name[] = "CORE";
  Elf64_Nhdr h{};
  h.n_namesz = sizeof name;
  h.n_descsz = static_cast<Elf64_Word>(size);
  h.n_type = type;
  notes.append(reinterpret_cast<const char*>(&h), sizeof h);
  notes.append(name, sizeof name);
  notes.append(round_up(sizeof name, 4) - sizeof name, '\0');
  notes.append(static_cast<const char*>(desc), size);
  notes.append(round_up(size, 4) - size, '\0');
}

// The process facts the notes carry, read before the layout is fixed.
struct process_facts {
  std::vector<std::string> stat;
  std::string status;
  std::string auxv;
};

std::string build_notes(const core_dump& d, const process_facts& p,
                        const std::vector<mapping_record>& maps) {
  std::string notes;
  const auto ppid = static_cast<pid_t>(stat_number(p.stat, 4));
  const auto pgrp = static_cast<pid_t>(stat_number(p.stat, 5));
  const auto sid = static_cast<pid_t>(stat_number(p.stat, 6));
  // One NT_PRSTATUS per thread, the process's own first (gdb takes the first as current).
  std::vector<int> threads = d.threads;
  std::stable_partition(threads.begin(), threads.end(), [&](int t) { return t == d.pid; });
  if (threads.empty()) threads.push_back(d.pid);
  for (int tid : threads) {
    elf_prstatus s{};
    s.pr_pid = tid;
    s.pr_ppid = ppid;
    s.pr_pgrp = pgrp;
    s.pr_sid = sid;
    add_note(notes, NT_PRSTATUS, &s, sizeof s);
  }
  elf_prpsinfo ps{};
  const std::string state = p.stat.empty() ? std::string("?") : p.stat[0];
  ps.pr_sname = state.empty() ? '?' : state[0];
  ps.pr_state = static_cast<char>(std::string_view("RSDTZW").find(ps.pr_sname) & 0x7f);
  ps.pr_zomb = ps.pr_sname == 'Z';
  ps.pr_nice = static_cast<char>(stat_number(p.stat, 19));
  ps.pr_flag = static_cast<unsigned long>(stat_number(p.stat, 9));
  ps.pr_uid = status_id(p.status, "Uid", 0);
  ps.pr_gid = status_id(p.status, "Gid", 0);
  ps.pr_pid = d.pid;
  ps.pr_ppid = ppid;
  ps.pr_pgrp = pgrp;
  ps.pr_sid = sid;
  std::strncpy(ps.pr_fname, d.comm.c_str(), sizeof ps.pr_fname - 1);
  std::string args;
  for (const auto& a : d.cmdline) args += (args.empty() ? "" : " ") + a;
  std::strncpy(ps.pr_psargs, args.c_str(), sizeof ps.pr_psargs - 1);
  add_note(notes, NT_PRPSINFO, &ps, sizeof ps);
  if (!p.auxv.empty()) add_note(notes, NT_AUXV, p.auxv.data(), p.auxv.size());
  // NT_FILE: count, page size, then (start, end, offset in pages) per file mapping, then the
  // names, each NUL-terminated.
  std::string files, names;
  std::uint64_t count = 0;
  for (const auto& r : maps) {
    const auto& m = r.mapping;
    if (m.inode == 0 || m.path.empty() || m.path[0] != '/') continue;
    const std::uint64_t entry[3] = {m.start, m.end, m.offset / page_size()};
    files.append(reinterpret_cast<const char*>(entry), sizeof entry);
    names.append(m.path);
    names.push_back('\0');
    ++count;
  }
  if (count > 0) {
    const std::uint64_t head[2] = {count, page_size()};
    std::string desc(reinterpret_cast<const char*>(head), sizeof head);
    desc += files;
    desc += names;
    add_note(notes, NT_FILE, desc.data(), desc.size());
  }
  return notes;
}

Elf64_Word load_flags(const std::string& perms) {
  Elf64_Word f = 0;
  if (perms.size() > 0 && perms[0] == 'r') f |= PF_R;
  if (perms.size() > 1 && perms[1] == 'w') f |= PF_W;
  if (perms.size() > 2 && perms[2] == 'x') f |= PF_X;
  return f;
}

void write_raw(io::byte_sink& out, const void* data, std::size_t size) {
  out.write({static_cast<const std::byte*>(data), size});
}

void note_unreadable(mapping_record& r, std::uint64_t at, std::uint64_t size, int err) {
  std::string reason = std::strerror(err);
  if (!r.unreadable.empty()) {
    auto& last = r.unreadable.back();
    if (last.start + last.size == at && last.reason == reason) {
      last.size += size;
      return;
    }
  }
  r.unreadable.push_back({at, size, std::move(reason)});
}

// Streams one mapping's bytes; a page that cannot be read becomes zeros of the same size.
void copy_mapping(int mem, mapping_record& r, io::byte_sink& out, std::vector<std::byte>& buf,
                  const core_options& o) {
  static const std::vector<std::byte> zeros(piece);
  const std::uint64_t end = r.mapping.end;
  std::uint64_t at = r.mapping.start;
  while (at < end) {
    if (o.cancel_flag && o.cancel_flag->load()) {
      throw error(errc::cancelled, "interrupted while reading the memory of a process");
    }
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(piece, end - at));
    const ssize_t n = ::pread(mem, buf.data(), want, static_cast<off_t>(at));
    if (n > 0) {
      out.write({buf.data(), static_cast<std::size_t>(n)});
      at += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n == 0 ? EIO : errno;
    const std::uint64_t gap = std::min(end - at, page_size() - at % page_size());
    out.write({zeros.data(), static_cast<std::size_t>(gap)});
    note_unreadable(r, at, gap, err);
    at += gap;
  }
  r.bytes = r.mapping.size();
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<memory_mapping> parse_maps(std::string_view text) {
  std::vector<memory_mapping> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    std::string_view rest = line;
    memory_mapping m;
    const auto range = next_field(rest);
    const auto perms = next_field(rest);
    const auto offset = next_field(rest);
    const auto dev = next_field(rest);
    const auto inode = next_field(rest);
    const auto dash = range.find('-');
    const auto colon = dev.find(':');
    std::uint64_t major = 0, minor = 0;
    const bool ok = dash != std::string_view::npos && colon != std::string_view::npos &&
                    parse_hex(range.substr(0, dash), m.start) &&
                    parse_hex(range.substr(dash + 1), m.end) && m.end >= m.start &&
                    perms.size() == 4 && parse_hex(offset, m.offset) &&
                    parse_hex(dev.substr(0, colon), major) &&
                    parse_hex(dev.substr(colon + 1), minor) && parse_dec(inode, m.inode);
    if (!ok) {
      throw error(errc::parse,
                  "maps line " + std::to_string(line_no) +
                      " does not have the fields of proc(5): " + std::string(line.substr(0, 120)));
    }
    m.perms = std::string(perms);
    m.major = static_cast<unsigned>(major);
    m.minor = static_cast<unsigned>(minor);
    const auto path_at = rest.find_first_not_of(' ');
    if (path_at != std::string_view::npos) m.path = std::string(rest.substr(path_at));
    out.push_back(std::move(m));
  }
  return out;
}

core_dump write_core(int pid, io::byte_sink& out, const core_options& o) {
  core_dump d;
  d.pid = pid;
  const std::string what = "process " + std::to_string(pid);
  const auto maps_text = read_file(pid_path(pid, "maps", o.proc_root), no_cap);
  if (!maps_text) {
    const int err = errno;
    if (err == ENOENT || err == ESRCH) throw error(errc::not_found, what + " has exited");
    throw_errno("cannot read the maps of " + what, err);
  }
  io::unique_fd mem = open_memory(pid, o.proc_root);
  if (!mem) {
    const int err = errno;
    if (err == ENOENT || err == ESRCH) throw error(errc::not_found, what + " has exited");
    throw error(errc::permission_denied, "cannot open /proc/" + std::to_string(pid) +
                                             "/mem: " + std::strerror(err) +
                                             " (it takes root with CAP_SYS_PTRACE)");
  }
  process_facts facts;
  facts.stat = stat_fields(read_file(pid_path(pid, "stat", o.proc_root)).value_or(""));
  facts.status = read_file(pid_path(pid, "status", o.proc_root)).value_or("");
  facts.auxv = read_file(pid_path(pid, "auxv", o.proc_root)).value_or("");
  d.comm = read_file(pid_path(pid, "comm", o.proc_root)).value_or("");
  if (!d.comm.empty() && d.comm.back() == '\n') d.comm.pop_back();
  d.cmdline = split_nul(read_file(pid_path(pid, "cmdline", o.proc_root)).value_or(""));
  d.threads = list_pids(pid_path(pid, "task", o.proc_root)).value_or(std::vector<int>{});
  std::sort(d.threads.begin(), d.threads.end());

  // The layout, fixed before any byte of memory is read.
  std::uint64_t budget = o.byte_budget;
  std::size_t loads = 0;
  for (auto& m : parse_maps(*maps_text)) {
    mapping_record r;
    r.mapping = std::move(m);
    r.skipped = skip_reason(r.mapping);
    if (r.skipped.empty() && (d.limit_reached || r.mapping.size() > budget)) {
      d.limit_reached = true;
      r.skipped = "memory limit reached";
    }
    if (loads >= most_loads) {
      r.skipped = "more mappings than one ELF core can describe";
    } else {
      ++loads;
    }
    if (r.skipped.empty()) {
      r.read = true;
      budget -= r.mapping.size();
    }
    d.mappings.push_back(std::move(r));
  }
  const std::string notes = build_notes(d, facts, d.mappings);
  const std::uint64_t headers = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) * (loads + 1);
  const std::uint64_t data_start = round_up(headers + notes.size(), page_size());

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = native_machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<Elf64_Half>(loads + 1);
  write_raw(out, &eh, sizeof eh);

  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = headers;
  note.p_filesz = notes.size();
  note.p_align = 4;
  write_raw(out, &note, sizeof note);
  std::uint64_t cursor = data_start;
  std::size_t described = 0;
  for (const auto& r : d.mappings) {
    if (!r.read && r.skipped == "more mappings than one ELF core can describe") continue;
    if (++described > loads) break;
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = load_flags(r.mapping.perms);
    ph.p_offset = cursor;
    ph.p_vaddr = r.mapping.start;
    ph.p_filesz = r.read ? r.mapping.size() : 0;
    ph.p_memsz = r.mapping.size();
    ph.p_align = page_size();
    write_raw(out, &ph, sizeof ph);
    cursor += ph.p_filesz;
  }
  out.write(io::as_bytes(notes));
  const std::string pad(data_start - headers - notes.size(), '\0');
  out.write(io::as_bytes(pad));

  std::vector<std::byte> buf(piece);
  for (auto& r : d.mappings) {
    if (r.read) {
      copy_mapping(mem.get(), r, out, buf, o);
      d.memory_bytes += r.bytes;
    } else {
      d.skipped_bytes += r.mapping.size();
    }
  }
  d.core_size = data_start + d.memory_bytes;
  return d;
}

nlohmann::json to_json(const core_dump& d) {
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& r : d.mappings) {
    const auto& m = r.mapping;
    nlohmann::json e = {{"start", hex(m.start)}, {"end", hex(m.end)}, {"perms", m.perms},
                        {"offset", m.offset},    {"path", m.path},    {"size", m.size()},
                        {"read", r.read},        {"bytes", r.bytes}};
    if (!r.read) e["skipped"] = r.skipped;
    if (!r.unreadable.empty()) {
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& u : r.unreadable) {
        ranges.push_back({{"start", hex(u.start)}, {"size", u.size}, {"reason", u.reason}});
      }
      e["unreadable"] = std::move(ranges);
    }
    maps.push_back(std::move(e));
  }
  return {{"pid", d.pid},
          {"command", d.comm},
          {"cmdline", d.cmdline},
          {"threads", d.threads},
          {"core_size", d.core_size},
          {"memory_bytes", d.memory_bytes},
          {"skipped_bytes", d.skipped_bytes},
          {"limit_reached", d.limit_reached},
          {"mappings", std::move(maps)}};
}

}  // namespace forensic::proc
