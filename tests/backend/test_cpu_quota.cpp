// tests/backend/test_cpu_quota.cpp — the cgroup CPU quota that caps the default thread count
// (src/backend/cpu/cpu_quota.h), on the file layouts of cgroup v2, v1, hybrid hosts and
// containers, fed from a map instead of /proc and /sys.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "backend/cpu/cpu_quota.h"

using gradlab::cpu::cgroup_cpu_quota_from;

namespace {
struct FakeFiles {
  std::map<std::string, std::string> files;
  gradlab::cpu::ReadTextFile reader() const {
    return [this](const std::string& path, std::string& out) {
      auto it = files.find(path);
      if (it == files.end()) return false;
      out = it->second;
      return true;
    };
  }
};

const char* kV2Mount =
    "25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate\n";
const char* kV1Mounts =
    "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
    "31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid shared:11 - cgroup cgroup rw,cpuset\n";
}  // namespace

TEST_CASE("cpu quota: cgroup v2 cpu.max, the smallest along the ancestors", "[backend]") {
  FakeFiles fs;
  fs.files["/sys/fs/cgroup/user.slice/job/cpu.max"] = "250000 100000\n";
  fs.files["/sys/fs/cgroup/user.slice/cpu.max"] = "150000 100000\n";
  CHECK(cgroup_cpu_quota_from(kV2Mount, "0::/user.slice/job\n", fs.reader()) == Approx(1.5));
  fs.files["/sys/fs/cgroup/user.slice/cpu.max"] = "max 100000\n";
  CHECK(cgroup_cpu_quota_from(kV2Mount, "0::/user.slice/job\n", fs.reader()) == Approx(2.5));
  fs.files["/sys/fs/cgroup/user.slice/job/cpu.max"] = "max 100000\n";
  CHECK(cgroup_cpu_quota_from(kV2Mount, "0::/user.slice/job\n", fs.reader()) == 0);
}

TEST_CASE("cpu quota: a container sees its own cgroup at the mount point", "[backend]") {
  // cgroup namespace: /proc/self/cgroup says "0::/", the limit is in the mount's cpu.max.
  FakeFiles fs;
  fs.files["/sys/fs/cgroup/cpu.max"] = "200000 100000\n";
  CHECK(cgroup_cpu_quota_from(kV2Mount, "0::/\n", fs.reader()) == Approx(2.0));
  // No namespace but the host path is not visible: the mount point's own file still counts.
  CHECK(cgroup_cpu_quota_from(
            "40 1 0:30 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            "0::/docker/abc\n", fs.reader()) == Approx(2.0));
  CHECK(cgroup_cpu_quota_from(
            "40 1 0:30 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            "0::/elsewhere\n", fs.reader()) == Approx(2.0));
}

TEST_CASE("cpu quota: cgroup v1 cfs quota and period, -1 is no limit", "[backend]") {
  FakeFiles fs;
  const std::string self = "4:cpu,cpuacct:/docker/abc\n3:cpuset:/\n0::/\n";
  fs.files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us"] = "300000\n";
  fs.files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us"] = "100000\n";
  fs.files["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us"] = "-1\n";
  fs.files["/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us"] = "100000\n";
  CHECK(cgroup_cpu_quota_from(kV1Mounts, self, fs.reader()) == Approx(3.0));
  fs.files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us"] = "-1\n";
  CHECK(cgroup_cpu_quota_from(kV1Mounts, self, fs.reader()) == 0);
  // Hybrid host: an empty cgroup2 (no cpu.max) beside the v1 cpu controller.
  fs.files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us"] = "50000\n";
  const std::string hybrid =
      std::string(kV1Mounts) +
      "32 25 0:28 / /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
  CHECK(cgroup_cpu_quota_from(hybrid, self, fs.reader()) == Approx(0.5));
}

TEST_CASE("cpu quota: no cgroup files means no limit", "[backend]") {
  FakeFiles none;
  CHECK(cgroup_cpu_quota_from("", "", none.reader()) == 0);
  CHECK(cgroup_cpu_quota_from(kV2Mount, "0::/a/b\n", none.reader()) == 0);
  CHECK(cgroup_cpu_quota_from("garbage line\n- -\n", "nonsense\n", none.reader()) == 0);
}
