#include "bench/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace evrouter::bench {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The fields of /proc/PID/stat after the "(comm)" field: [0] is the state
// (field 3), [1] the ppid (field 4), [11] utime (14), [12] stime (15).
std::optional<std::vector<std::string>> StatFields(int pid) {
  std::optional<std::string> stat =
      ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.has_value()) return std::nullopt;
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<std::string> fields = absl::StrSplit(
      absl::string_view(*stat).substr(close + 1), ' ', absl::SkipWhitespace());
  if (fields.size() < 13) return std::nullopt;
  return fields;
}

// The value in kB of the line "`key`:   1234 kB" in a /proc file.
std::optional<uint64_t> ReadKbField(const std::string& path,
                                    absl::string_view key) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, key) || !absl::ConsumePrefix(&rest, ":")) {
      continue;
    }
    rest = absl::StripSuffix(absl::StripAsciiWhitespace(rest), "kB");
    uint64_t kb;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kb)) {
      return std::nullopt;
    }
    return kb * 1024;
  }
  return std::nullopt;
}

std::vector<int> AllPids() {
  std::vector<int> pids;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    int pid;
    if (absl::SimpleAtoi(entry.path().filename().string(), &pid)) {
      pids.push_back(pid);
    }
  }
  return pids;
}

// Inodes of the sockets listening on `port` over IPv4 and IPv6.
absl::flat_hash_set<std::string> ListeningInodes(int port) {
  absl::flat_hash_set<std::string> inodes;
  for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<absl::string_view> fields =
          absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (fields.size() < 10 || fields[3] != "0A") continue;
      size_t colon = fields[1].rfind(':');
      if (colon == absl::string_view::npos) continue;
      int local_port;
      if (!absl::SimpleHexAtoi(fields[1].substr(colon + 1), &local_port) ||
          local_port != port) {
        continue;
      }
      inodes.insert(absl::StrCat("socket:[", fields[9], "]"));
    }
  }
  return inodes;
}

}  // namespace

std::optional<double> ReadCpuSeconds(int pid) {
  std::optional<std::vector<std::string>> fields = StatFields(pid);
  if (!fields.has_value()) return std::nullopt;
  uint64_t utime, stime;
  if (!absl::SimpleAtoi((*fields)[11], &utime) ||
      !absl::SimpleAtoi((*fields)[12], &stime)) {
    return std::nullopt;
  }
  static const double kTicks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(utime + stime) / kTicks;
}

std::optional<uint64_t> ReadRssBytes(int pid) {
  return ReadKbField(absl::StrCat("/proc/", pid, "/status"), "VmRSS");
}

std::optional<uint64_t> ReadPssBytes(int pid) {
  return ReadKbField(absl::StrCat("/proc/", pid, "/smaps_rollup"), "Pss");
}

std::optional<int> ReadParentPid(int pid) {
  std::optional<std::vector<std::string>> fields = StatFields(pid);
  int parent;
  if (!fields.has_value() || !absl::SimpleAtoi((*fields)[1], &parent)) {
    return std::nullopt;
  }
  return parent;
}

std::vector<int> ChildPids(int parent) {
  std::vector<int> children;
  for (int pid : AllPids()) {
    if (ReadParentPid(pid) == parent) children.push_back(pid);
  }
  return children;
}

std::optional<int> FindListeningPid(int port) {
  absl::flat_hash_set<std::string> inodes = ListeningInodes(port);
  if (inodes.empty()) return std::nullopt;
  std::vector<int> holders;
  for (int pid : AllPids()) {
    std::error_code error;
    std::filesystem::directory_iterator fds(absl::StrCat("/proc/", pid, "/fd"),
                                            error);
    if (error) continue;
    for (const auto& fd : fds) {
      std::error_code link_error;
      std::filesystem::path target =
          std::filesystem::read_symlink(fd.path(), link_error);
      if (!link_error && inodes.contains(target.string())) {
        holders.push_back(pid);
        break;
      }
    }
  }
  for (int pid : holders) {
    std::optional<int> parent = ReadParentPid(pid);
    if (!parent.has_value() ||
        std::find(holders.begin(), holders.end(), *parent) == holders.end()) {
      return pid;
    }
  }
  return std::nullopt;
}

}  // namespace evrouter::bench
