// cpu_quota.cpp — the cgroup CPU quota (cpu_quota.h, gradlab/threads.h).
//
// A container's CPU limit is a quota of CPU time per period, not a set of CPUs: the affinity
// mask still lists every host CPU. A pool sized by the mask then runs many threads that the
// kernel throttles to the quota each period, and every parallel loop waits for the slowest
// throttled thread. So available_cores() caps the mask by ceil(quota / period).
#include "cpu_quota.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace gradlab::cpu {

namespace {

struct Mount {
  std::string root;   // the cgroup path that appears at the mount point
  std::string point;  // where it is mounted
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

bool has_token(const std::string& list, const std::string& token) {
  for (const std::string& t : split(list, ','))
    if (t == token) return true;
  return false;
}

// The cgroup2 mount and the v1 mount carrying the "cpu" controller, from /proc/self/mountinfo:
// "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS".
void find_mounts(const std::string& mountinfo, Mount& v2, Mount& v1) {
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4) continue;
    const std::string& fstype = dash[1];
    const std::string& super_options = dash[3];
    if (fstype == "cgroup2" && v2.point.empty()) v2 = {f[3], f[4]};
    if (fstype == "cgroup" && has_token(super_options, "cpu") && v1.point.empty()) v1 = {f[3], f[4]};
  }
}

// The process's path in the v2 hierarchy ("0::/path") or in the v1 hierarchy whose controller
// list holds "cpu" ("4:cpu,cpuacct:/path"); "" when absent.
std::string cgroup_path(const std::string& self_cgroup, bool v2) {
  std::istringstream lines(self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    if (v2 ? (line.compare(0, a, "0") == 0 && controllers.empty()) : has_token(controllers, "cpu"))
      return line.substr(b + 1);
  }
  return "";
}

// The folders from the process's cgroup up to the mount point, innermost first. When the path
// is not below the mount's root (a container that sees only its own cgroup at the mount
// point), the mount point alone.
std::vector<std::string> cgroup_dirs(const Mount& m, std::string path) {
  std::vector<std::string> dirs;
  if (m.root != "/") {
    if (path.compare(0, m.root.size(), m.root) == 0 &&
        (path.size() == m.root.size() || path[m.root.size()] == '/'))
      path = path.substr(m.root.size());
    else
      path.clear();
  }
  while (!path.empty() && path != "/") {
    dirs.push_back(m.point + path);
    path = path.substr(0, path.find_last_of('/'));
  }
  dirs.push_back(m.point);
  return dirs;
}

bool read_number(const ReadTextFile& read, const std::string& file, double& value) {
  std::string text;
  if (!read(file, text)) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end != text.c_str();
}

}  // namespace

double cgroup_cpu_quota_from(const std::string& mountinfo, const std::string& self_cgroup,
                             const ReadTextFile& read) {
  Mount v2, v1;
  find_mounts(mountinfo, v2, v1);
  double best = 0;  // 0 = no limit found yet
  auto consider = [&](double quota, double period) {
    if (quota > 0 && period > 0) best = best > 0 ? std::min(best, quota / period) : quota / period;
  };
  const std::string p2 = cgroup_path(self_cgroup, true);
  if (!v2.point.empty() && !p2.empty())
    for (const std::string& dir : cgroup_dirs(v2, p2)) {
      std::string text;
      if (!read(dir + "/cpu.max", text)) continue;
      std::istringstream in(text);
      std::string quota;
      double period = 0;
      if (in >> quota >> period && quota != "max") consider(std::strtod(quota.c_str(), nullptr), period);
    }
  const std::string p1 = cgroup_path(self_cgroup, false);
  if (!v1.point.empty() && !p1.empty())
    for (const std::string& dir : cgroup_dirs(v1, p1)) {
      double quota = 0, period = 0;
      if (read_number(read, dir + "/cpu.cfs_quota_us", quota) &&
          read_number(read, dir + "/cpu.cfs_period_us", period))
        consider(quota, period);  // quota -1: no limit
    }
  return best;
}

}  // namespace gradlab::cpu
