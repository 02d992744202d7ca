#!/usr/bin/env bash
# npm run slurm:start / slurm:stop — a private single-node Slurm for the Slurm executor's tests and for trying it out
# (Debian 12, run as root; works without systemd and without cgroups).
#
#   bash scripts/slurm.sh start          install slurmctld/slurmd/slurm-client/munge with apt if missing, write a config,
#                                        start a private munged, slurmctld and slurmd, wait until the node is idle and
#                                        print `export SLURM_CONF=...` (eval it). Idempotent.
#   bash scripts/slurm.sh stop [--clean] cancel the jobs, stop the three daemons (by their pid files) and any job step
#                                        left behind; --clean also removes the state folder. Idempotent.
#   bash scripts/slurm.sh status         sinfo and squeue, or "not running" (exit 3)
#   bash scripts/slurm.sh env            print `export SLURM_CONF=...`
#
# Everything (slurm.conf, munge key and socket, state, spool, pid files, logs, jobcomp.txt, out/) lives in
# ${VAE_LAB_SLURM_DIR:-/tmp/vae-lab-slurm}. Ports: VAE_LAB_SLURMCTLD_PORT (6817) and VAE_LAB_SLURMD_PORT (6818).
# Nothing is written outside that folder except the apt install and, when the host name does not resolve, one line in
# /etc/hosts. Finished jobs are recorded in $DIR/jobcomp.txt (jobcomp/filetxt; there is no accounting database, so
# sacct has nothing).
set -euo pipefail

DIR=$(realpath -m "${VAE_LAB_SLURM_DIR:-/tmp/vae-lab-slurm}")
CONF=$DIR/slurm.conf
MARKER=$DIR/.vae-lab-slurm
MUNGE_DIR=$DIR/munge
KEY_DIR=$DIR/munge-key
KEY=$KEY_DIR/munge.key
SOCK=$MUNGE_DIR/munge.socket
MUNGED_PID=$MUNGE_DIR/munged.pid
CTLD_PID=$DIR/run/slurmctld.pid
SLURMD_PID=$DIR/run/slurmd.pid
LOG=$DIR/log
CTLD_PORT=${VAE_LAB_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${VAE_LAB_SLURMD_PORT:-6818}
START_TIMEOUT=${VAE_LAB_SLURM_TIMEOUT:-30}
PACKAGES=(slurmctld slurmd slurm-client munge)

STARTING=0
say() { echo "slurm.sh: $*" >&2; }
die() {
  say "$*"
  if [ "$STARTING" = 1 ]; then
    STARTING=0
    say "stopping what this start started"
    do_stop
  fi
  exit 1
}

# something already listens on this TCP port (another Slurm, or a second copy of this one with another folder)
port_busy() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# alive and not a zombie (a killed daemon stays a zombie until PID 1 reaps it, which can take a while in containers)
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ -n "$stat" ] && [ "${stat:0:1}" != Z ] && [ "${stat:0:1}" != X ]
}

# pid from a pid file when that process is alive and is the named program (guards against reused pids)
live_pid() {
  local file=$1 name=$2 pid
  [ -s "$file" ] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] && alive "$pid" || return 1
  echo "$pid"
}

slurm() { SLURM_CONF=$CONF timeout 10 "$@"; }

node_name() { sed -n 's/^NodeName=\([^ ]*\).*/\1/p' "$CONF" 2>/dev/null | head -n1; }

node_state() { slurm sinfo -h -N -n "$(node_name)" -o %t 2>/dev/null | head -n1; }

# running and answering: all three daemons alive and slurmctld answers sinfo
responding() {
  live_pid "$MUNGED_PID" munged >/dev/null && live_pid "$CTLD_PID" slurmctld >/dev/null &&
    live_pid "$SLURMD_PID" slurmd >/dev/null && [ -n "$(node_state)" ]
}

any_daemon() {
  live_pid "$MUNGED_PID" munged >/dev/null || live_pid "$CTLD_PID" slurmctld >/dev/null ||
    live_pid "$SLURMD_PID" slurmd >/dev/null
}

print_env() { echo "export SLURM_CONF=$CONF"; }

show_logs() {
  local f
  for f in "$LOG/slurmctld.log" "$LOG/slurmd.log" "$LOG/munged.log"; do
    [ -f "$f" ] || continue
    echo "---- tail of $f" >&2
    tail -n 25 "$f" >&2
  done
}

install_packages() {
  local cmd missing=0
  for cmd in slurmctld slurmd sinfo sbatch squeue scontrol munged munge; do
    command -v "$cmd" >/dev/null || missing=1
  done
  [ "$missing" = 0 ] && return 0
  [ -x /usr/bin/apt-get ] || die "Slurm is not installed and there is no apt-get; install slurmctld, slurmd, the Slurm clients and munge"
  say "installing ${PACKAGES[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 -qq update
  apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends "${PACKAGES[@]}" >/dev/null
  for cmd in slurmctld slurmd sinfo sbatch munged; do
    command -v "$cmd" >/dev/null || die "$cmd is still missing after apt-get install"
  done
}

ensure_hostname() {
  local h
  h=$(hostname)
  if ! getent hosts "$h" >/dev/null; then
    say "host name $h does not resolve; adding '127.0.0.1 $h' to /etc/hosts"
    echo "127.0.0.1 $h" >>/etc/hosts
  fi
}

write_key() {
  mkdir -p "$KEY_DIR"
  chmod 700 "$KEY_DIR"
  if [ ! -s "$KEY" ]; then
    rm -f "$KEY"
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$KEY" --force >/dev/null
    else
      (umask 077 && dd if=/dev/urandom of="$KEY" bs=1 count=1024 status=none)
    fi
  fi
  chmod 400 "$KEY"
}

write_conf() {
  local line node mem
  # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  line=$(slurmd -C 2>/dev/null | grep -m1 '^NodeName=') || die "slurmd -C printed no NodeName line"
  node=${line%% *}
  node=${node#NodeName=}
  mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$line")
  # a node that reports less memory than configured is drained, so configure 90% of it
  line=$(sed 's/ *RealMemory=[0-9]*//' <<<"$line")
  [ -n "$mem" ] && line="$line RealMemory=$((mem * 9 / 10))"
  cat >"$CONF.tmp" <<EOF
# written by scripts/slurm.sh start; rewritten on every start
ClusterName=vaelab
SlurmctldHost=$node
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
ReturnToService=2
MailProg=/bin/true
KillWait=5
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$line State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

start_munged() {
  mkdir -p "$MUNGE_DIR"
  chmod 755 "$MUNGE_DIR"
  rm -f "$SOCK" "$SOCK.lock"
  munged --force --socket="$SOCK" --key-file="$KEY" --pid-file="$MUNGED_PID" \
    --log-file="$LOG/munged.log" --seed-file="$MUNGE_DIR/munged.seed" ||
    { show_logs; die "munged did not start"; }
  local i
  for i in $(seq 50); do
    munge -S "$SOCK" -n 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  show_logs
  die "munged does not answer on $SOCK"
}

do_start() {
  [ "$(id -u)" = 0 ] || die "start needs root (apt-get, and slurmd runs as root)"
  if [ -f "$CONF" ] && responding; then
    say "already running (node $(node_name) $(node_state)), state in $DIR"
    print_env
    return 0
  fi
  if any_daemon; then
    say "partly running; stopping it first"
    do_stop
  fi
  local t0=$SECONDS port
  for port in "$CTLD_PORT" "$SLURMD_PORT"; do
    ! port_busy "$port" ||
      die "TCP port $port is in use (another slurmctld/slurmd?); choose others with VAE_LAB_SLURMCTLD_PORT and VAE_LAB_SLURMD_PORT"
  done
  install_packages
  ensure_hostname
  mkdir -p "$DIR" "$DIR/state" "$DIR/spool" "$DIR/run" "$LOG" "$DIR/out"
  chmod 1777 "$DIR/out" # sbatch --output folder for any user, like /tmp
  chmod 755 "$DIR"
  touch "$MARKER"
  write_key
  write_conf
  STARTING=1
  start_munged
  export SLURM_CONF=$CONF
  slurmctld -f "$CONF" || { show_logs; die "slurmctld did not start"; }
  slurmd -f "$CONF" || { show_logs; die "slurmd did not start"; }
  local node state="" deadline=$((SECONDS + START_TIMEOUT))
  node=$(node_name)
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(node_state || true)
    case "$state" in
      idle | mix | alloc) break ;;
    esac
    live_pid "$CTLD_PID" slurmctld >/dev/null || { show_logs; die "slurmctld exited"; }
    live_pid "$SLURMD_PID" slurmd >/dev/null || { show_logs; die "slurmd exited"; }
    sleep 0.2
  done
  case "$state" in
    idle | mix | alloc) ;;
    *)
      slurm sinfo -R >&2 || true
      show_logs
      die "node $node is not idle after ${START_TIMEOUT}s (state: ${state:-no answer from slurmctld})"
      ;;
  esac
  STARTING=0
  say "running: node $node $state, partition debug, state in $DIR (started in $((SECONDS - t0))s)"
  print_env
}

# kill one daemon by its pid file: TERM, then KILL after 10 s
stop_daemon() {
  local file=$1 name=$2 pid i
  pid=$(live_pid "$file" "$name") || { rm -f "$file"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "$name ($pid) ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# job steps (slurmstepd) and job processes started by this cluster: their environment names our slurm.conf
leftover_pids() {
  local p env
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") || continue
    grep -qxF "SLURM_CONF=$CONF" <<<"$env" || continue
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      echo "$p"
    fi
  done
}

do_stop() {
  local i pids
  if live_pid "$CTLD_PID" slurmctld >/dev/null && live_pid "$SLURMD_PID" slurmd >/dev/null &&
    live_pid "$MUNGED_PID" munged >/dev/null; then
    # cancel what is queued or running so that the job steps end cleanly
    local ids
    ids=$(slurm squeue -h -o %A 2>/dev/null | sort -u || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      slurm scancel --quiet $ids 2>/dev/null || true
      for i in $(seq 50); do
        [ -z "$(slurm squeue -h -o %i 2>/dev/null | head -n1)" ] && break
        sleep 0.2
      done
    fi
  fi
  stop_daemon "$SLURMD_PID" slurmd
  stop_daemon "$CTLD_PID" slurmctld
  stop_daemon "$MUNGED_PID" munged
  pids=$(leftover_pids)
  if [ -n "$pids" ]; then
    say "killing leftover job processes: $(echo $pids)"
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -f "$SOCK" "$SOCK.lock"
}

case "${1:-}" in
  start)
    do_start
    ;;
  stop)
    case "${2:-}" in
      "" | --clean) ;;
      *) echo "usage: bash scripts/slurm.sh stop [--clean]" >&2 && exit 2 ;;
    esac
    do_stop
    if [ "${2:-}" = --clean ]; then
      if [ -f "$MARKER" ]; then
        rm -rf "$DIR"
        say "stopped; removed $DIR"
      elif [ -e "$DIR" ]; then
        die "stopped; not removing $DIR: it has no $MARKER, so it was not made by this script"
      else
        say "stopped"
      fi
    else
      say "stopped (state kept in $DIR)"
    fi
    ;;
  status)
    if [ -f "$CONF" ] && responding; then
      echo "running, state in $DIR"
      print_env
      slurm sinfo
      slurm squeue
    else
      echo "not running${CONF:+ (SLURM_CONF would be $CONF)}"
      any_daemon && echo "but some daemons are alive: run 'bash scripts/slurm.sh stop'"
      exit 3
    fi
    ;;
  env)
    print_env
    ;;
  *)
    echo "usage: bash scripts/slurm.sh start | stop [--clean] | status | env" >&2
    exit 2
    ;;
esac
