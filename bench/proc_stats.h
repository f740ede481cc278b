#ifndef EVROUTER_BENCH_PROC_STATS_H_
#define EVROUTER_BENCH_PROC_STATS_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace evrouter::bench {

// Readers of Linux /proc for one process. Each returns nullopt when the
// process is gone or the file cannot be read.

// utime + stime of `pid` in seconds (/proc/PID/stat over _SC_CLK_TCK).
std::optional<double> ReadCpuSeconds(int pid);
// Resident set size (VmRSS of /proc/PID/status) in bytes.
std::optional<uint64_t> ReadRssBytes(int pid);
// Proportional set size (Pss of /proc/PID/smaps_rollup) in bytes: shared
// pages are split between the processes that map them.
std::optional<uint64_t> ReadPssBytes(int pid);
// The parent pid (field 4 of /proc/PID/stat).
std::optional<int> ReadParentPid(int pid);
// Every live process whose parent is `parent`.
std::vector<int> ChildPids(int parent);

// The process holding a TCP socket that listens on `port` (state 0A in
// /proc/net/tcp or tcp6), found by scanning /proc/*/fd for its inode. When
// several processes hold it, the one whose parent does not (the postmaster,
// not a forked backend). nullopt when none is visible.
std::optional<int> FindListeningPid(int port);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_PROC_STATS_H_
