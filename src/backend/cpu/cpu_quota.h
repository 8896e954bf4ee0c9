// src/backend/cpu/cpu_quota.h — the cgroup CPU quota behind available_cores()
// (gradlab/threads.h), as a function of the files it reads so that tests can feed it the
// layouts of cgroup v1, v2, hybrid hosts and containers (tests/backend/test_cpu_quota.cpp).
#pragma once

#include <functional>
#include <string>

namespace gradlab::cpu {

// Reads a whole file into `out`; false when it does not exist or cannot be read.
using ReadTextFile = std::function<bool(const std::string& path, std::string& out)>;

// The quota in CPUs (quota / period; the smallest over the process's cgroup and its ancestors
// below the mount point, over the v2 and the v1 "cpu" hierarchy), or 0 when none is set.
// `mountinfo` is /proc/self/mountinfo, `self_cgroup` is /proc/self/cgroup; `read` reads the
// limit files: <dir>/cpu.max ("max 100000" or "150000 100000") for cgroup2, and
// <dir>/cpu.cfs_quota_us (-1 = none) with <dir>/cpu.cfs_period_us for the v1 cpu controller.
double cgroup_cpu_quota_from(const std::string& mountinfo, const std::string& self_cgroup,
                             const ReadTextFile& read);

}  // namespace gradlab::cpu
