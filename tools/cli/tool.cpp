#include "cli/tool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>

#include "forensic/error.hpp"
#include "forensic/io/heap.hpp"
#include "forensic/text/json_text.hpp"
#include "forensic/text/terminal.hpp"
#include "forensic/version.hpp"

namespace forensic::cli {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) { interrupted.store(true); }

// Text gathered in one reused buffer and written to the stream a piece at a time.
class chunked_output {
 public:
  explicit chunked_output(std::ostream& out) : out_(out) {
    text_.reserve(2 * pieces_.size);
    pieces_.write = [this](std::string&) { flush(); };
  }
  chunked_output(const chunked_output&) = delete;
  chunked_output& operator=(const chunked_output&) = delete;

  void append(std::string_view s) { text_.append(s); }
  void append(const nlohmann::json& value, int current_indent) {
    text::append_json(text_, value, 2, current_indent, &pieces_);
  }
  void flush() {
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    text_.clear();
  }

 private:
  std::ostream& out_;
  std::string text_;
  text::json_pieces pieces_;
};

}  // namespace

int run_tool(const tool_info& info, const std::function<int()>& body) noexcept {
  // A tool runs for seconds: what it frees is worth more kept than given back and faulted in
  // again, page by page (forensic/io/heap.hpp).
  io::keep_freed_memory();
  try {
    return body();
  } catch (const forensic::error& e) {
    // Messages can carry engine answers and container-derived names: escaped, one line.
    std::cerr << info.name << ": " << text::escape_for_terminal(e.what()) << "\n";
    return exit_code_for(e.kind());
  } catch (const po::error& e) {
    std::cerr << info.name << ": " << e.what() << " (see " << info.name << " --help)\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << info.name << ": internal error: " << text::escape_for_terminal(e.what()) << "\n";
    return exit_internal;
  } catch (...) {
    std::cerr << info.name << ": internal error\n";
    return exit_internal;
  }
}

void print_help(const tool_info& info, const po::options_description& options) {
  std::cout << "NAME\n  " << info.name << " (libforensic " << forensic::version_string << ")\n\n"
            << "SYNOPSIS\n  " << info.synopsis << "\n\n"
            << "DESCRIPTION\n"
            << info.description << "\n"
            << options << "\n";
  if (*info.extra_help) std::cout << info.extra_help << "\n";
  std::cout
      << "ENVIRONMENT\n"
      << "  DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH, DOCKER_API_VERSION\n"
      << "  as for the docker CLI; --host overrides DOCKER_HOST. DOCKER_TLS_VERIFY: TLS, the\n"
      << "  engine verified against DOCKER_CERT_PATH/ca.pem, cert.pem and key.pem sent when\n"
      << "  present. DOCKER_TLS alone: TLS without verifying the engine.\n\n"
      << exit_codes_help();
}

bool parse_command_line(int argc, char** argv, const tool_info& info,
                        const po::options_description& options, po::variables_map& vm,
                        const po::positional_options_description* positional) {
  po::options_description all(options);
  all.add_options()("help,h", "print this help and exit")("version", "print the version");
  auto parser = po::command_line_parser(argc, argv).options(all);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    print_help(info, all);
    return false;
  }
  if (vm.count("version")) {
    std::cout << info.name << " " << forensic::version_string << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

void add_engine_options(po::options_description& options) {
  options.add_options()("host,H", po::value<std::string>()->value_name("URI"),
                        "engine endpoint: unix:///var/run/docker.sock (default), tcp://HOST:PORT")(
      "timeout", po::value<double>()->value_name("SECONDS")->default_value(30.0),
      "longest wait for the engine on any single read");
}

engine::client_options engine_options(const po::variables_map& vm) {
  engine::client_options o;
  std::optional<std::string> host;
  if (vm.count("host")) host = vm["host"].as<std::string>();
  o.where = engine::endpoint::from_environment(host);
  const double seconds = vm.count("timeout") ? vm["timeout"].as<double>() : 30.0;
  if (!(seconds > 0)) throw error(errc::invalid_argument, "--timeout must be positive");
  o.read_timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  return o;
}

const std::atomic<bool>* install_interrupt_flag() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return &interrupted;
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("cannot write " + tmp, errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      ::close(fd);
      throw_errno("cannot write " + tmp, e);
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw_errno("cannot write " + tmp, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("cannot rename " + tmp, errno);
}

void print_json(std::ostream& out, const nlohmann::json& doc) {
  print_json(out, doc, std::string(), 0, nullptr);
}

void print_json(std::ostream& out, const nlohmann::json& doc, const std::string& array_key,
                std::size_t count, const std::function<nlohmann::json(std::size_t)>& element) {
  chunked_output sink(out);
  const auto streamed = doc.is_object() ? doc.find(array_key) : doc.end();
  if (!element || streamed == doc.end() || count == 0) {
    sink.append(doc, 0);
  } else {
    // The pretty form, written by hand around the one member built piece by piece.
    sink.append("{\n");
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it != doc.begin()) sink.append(",\n");
      sink.append("  ");
      sink.append(nlohmann::json(it.key()), 0);
      sink.append(": ");
      if (it != streamed) {
        sink.append(*it, 2);
        continue;
      }
      sink.append("[\n");
      for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) sink.append(",\n");
        sink.append("    ");
        sink.append(element(i), 4);
      }
      sink.append("\n  ]");
    }
    sink.append("\n}");
  }
  sink.append("\n");
  sink.flush();
  out.flush();
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

std::optional<formats::siem_format> siem_format_option(const po::variables_map& vm) {
  if (!vm.count("format")) return std::nullopt;
  const auto& name = vm["format"].as<std::string>();
  const auto siem = formats::parse_siem_format(name);
  if (!siem) throw error(errc::invalid_argument, "unknown format '" + name + "' (ecs, ocsf)");
  if (vm.count("json")) {
    throw error(errc::invalid_argument, "--json and --format exclude each other");
  }
  return siem;
}

}  // namespace forensic::cli
