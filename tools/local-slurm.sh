#!/usr/bin/env bash
# A single-node Slurm cluster on loopback, for trying `gradlab sweep --on slurm` and for its tests
# (`./lab slurm up|down|status`, docs/cluster.md).
#
#   tools/local-slurm.sh up|down|status|env [STATE_DIR]     (default STATE_DIR: build/slurm)
#
# Debian's slurmctld, slurmd and munge, started by hand: no systemd, no cgroups (proctrack/linuxproc,
# task/none, so no cgroup.conf is read), every file (config, state, spool, logs, pid files, the munge
# key and socket) under STATE_DIR, running as whoever calls this (root or not). The clients find the
# cluster through SLURM_CONF: `eval "$(tools/local-slurm.sh env)"` sets it.
#
# Ports: GRADLAB_SLURM_PORT (default 16817) for slurmctld and the next one for slurmd, away from a
# system Slurm's 6817/6818.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cmd=${1:-status}
STATE=${2:-$ROOT/build/slurm}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd -P)
PORT=${GRADLAB_SLURM_PORT:-16817}
NODE=gradlab-node
CONF=$STATE/slurm.conf
MUNGE=$STATE/munge

say() { printf 'slurm: %s\n' "$*"; }
die() {
  printf 'slurm: error: %s\n' "$*" >&2
  exit 1
}

# pid_alive PIDFILE: the process a pid file names is running.
pid_alive() {
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

need_tools() {
  local t missing=()
  for t in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] \
    || die "missing ${missing[*]}: install the Debian packages slurmctld slurmd slurm-client munge (./lab setup)"
}

sbin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

write_config() {
  local user cpus mem
  user=$(id -un)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
  mkdir -p "$STATE/state" "$STATE/spool" "$STATE/log" "$MUNGE"
  # One node with every CPU; consumable CPUs so that several array tasks share it. No accounting
  # daemon (sacct is not available: `gradlab sweep` tracks points by their run folders instead).
  # The scheduler looks at the queue every second, and finished jobs leave squeue after 2 s.
  cat >"$CONF" <<EOF
# Written by tools/local-slurm.sh: a single-node cluster on loopback for gradlab's tests.
ClusterName=gradlab
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE/munge.socket
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool/%n
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1,sched_min_interval=0,batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=2
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MaxArraySize=1001
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$(hostname) CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  if pid_alive "$MUNGE/munged.pid"; then return; fi
  # munged refuses a key or a socket folder that others may write; the socket folder must be
  # traversable by every user whose jobs talk to it (0755).
  chmod 0755 "$MUNGE"
  if [ ! -s "$MUNGE/munge.key" ]; then
    dd if=/dev/urandom of="$MUNGE/munge.key" bs=1024 count=1 status=none
  fi
  chmod 0600 "$MUNGE/munge.key"
  local force=()
  [ "$(id -u)" = 0 ] && force=(--force)  # root may run it; munged only warns, --force accepts that
  "$(sbin munged)" "${force[@]}" --socket="$MUNGE/munge.socket" --key-file="$MUNGE/munge.key" \
    --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" --seed-file="$MUNGE/munged.seed" \
    || die "munged did not start (log: $MUNGE/munged.log)"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 10; ++i)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

node_ready() {
  local state
  state=$(SLURM_CONF=$CONF sinfo -h -n "$NODE" -o %T 2>/dev/null) || return 1
  case $state in idle* | mixed* | allocated*) return 0 ;; *) return 1 ;; esac
}

cmd_up() {
  need_tools
  write_config
  start_munge
  export SLURM_CONF=$CONF
  if ! pid_alive "$STATE/slurmctld.pid"; then
    # -i: ignore state left by an earlier cluster in this folder (its jobs are gone).
    "$(sbin slurmctld)" -f "$CONF" -i || die "slurmctld did not start (log: $STATE/log/slurmctld.log)"
  fi
  wait_for 20 slurmctld scontrol ping \
    || die "slurmctld does not answer (log: $STATE/log/slurmctld.log)"
  # A second slurmd for the same node would replace the first: start one only if none runs.
  if ! pid_alive "$STATE/slurmd.pid"; then
    "$(sbin slurmd)" -f "$CONF" -N "$NODE" || die "slurmd did not start (log: $STATE/log/slurmd.log)"
  fi
  if ! wait_for 30 node node_ready; then
    # A node left DOWN by an earlier run of this folder comes back with an explicit resume.
    scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
    wait_for 15 node node_ready || die "node $NODE is not idle: $(sinfo -h -o '%T %E' 2>&1) (logs: $STATE/log)"
  fi
  say "up: $(nproc) CPUs on $NODE, partition debug; export SLURM_CONF=$CONF"
}

stop_pidfile() {  # stop_pidfile PIDFILE NAME
  local pid i
  pid_alive "$1" || { rm -f "$1"; return 0; }
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; ++i)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
  say "$2 (pid $pid) did not stop in 10 s: killed"
}

cmd_down() {
  if [ -f "$CONF" ] && pid_alive "$STATE/slurmctld.pid"; then
    # Cancel what is still queued so no job step outlives the cluster.
    SLURM_CONF=$CONF scancel --full --user="$(id -un)" >/dev/null 2>&1 || true
  fi
  stop_pidfile "$STATE/slurmd.pid" slurmd
  stop_pidfile "$STATE/slurmctld.pid" slurmctld
  stop_pidfile "$MUNGE/munged.pid" munged
  say "down"
}

cmd_status() {
  local d
  for d in "munged:$MUNGE/munged.pid" "slurmctld:$STATE/slurmctld.pid" "slurmd:$STATE/slurmd.pid"; do
    if pid_alive "${d#*:}"; then say "${d%%:*} running (pid $(cat "${d#*:}"))"; else say "${d%%:*} not running"; fi
  done
  if pid_alive "$STATE/slurmctld.pid"; then
    SLURM_CONF=$CONF sinfo 2>&1 | sed 's/^/  /'
    SLURM_CONF=$CONF squeue 2>&1 | sed 's/^/  /'
    printf 'export SLURM_CONF=%q\n' "$CONF"
    return 0
  fi
  return 3
}

case $cmd in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) printf 'export SLURM_CONF=%q\n' "$CONF" ;;
  *) die "unknown command '$cmd' (usage: local-slurm.sh up|down|status|env [STATE_DIR])" ;;
esac
