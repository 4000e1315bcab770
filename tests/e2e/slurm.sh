#!/usr/bin/env bash
# scripts/slurm-scan on a real Slurm: the test starts a one-node cluster
# from Debian's munge and slurm-wlm (munged, slurmctld, slurmd as root, every
# file under its temporary folder, ports of its own) and submits a case of
# three images and a missing path. Checks: the job array ran one task per
# input through Slurm (Slurm's output files, the tasks' states and exit codes
# as scontrol shows them, sbatch's extra arguments applied), the missing
# input failed its task and the merge still ran after every task; the case
# equals a local run of the same manifest; a second submission is refused
# and one with --resume keeps what is done. Skips (77) unless root with the
# packages, or when the daemons do not start. Stops all it started, even on
# failure.
. "$(dirname "$0")/lib.sh"
need jq
H="$FIXTURES/hosts"
SCAN="$SRCDIR/scripts/slurm-scan"

# --- what slurm-scan checks before any submission (no cluster needed) ---
printf '%s\n' "$H/src01.raw" "$H/dst01.raw" "$H/dc01.raw" "$T/nosuch.raw" >"$T/manifest"
out=$("$SCAN" -m "$T/manifest" 2>&1)
assert_eq "$?" 2 "slurm-scan without a case folder: a usage error"
assert_contains "$out" "give the case folder: -o CASE" "and it says what is missing"
printf '# nothing\n\n   \n' >"$T/empty"
out=$("$SCAN" -o "$T/x" -m "$T/empty" -t "$TOOLMARK" 2>&1)
assert_eq "$?" 2 "a manifest of comments and blank lines"
assert_contains "$out" "names no input" "is said to name no input"
assert_contains "$("$SCAN" --help)" "Usage: slurm-scan -o CASE -m MANIFEST" "--help"

# --- the cluster ---
PATH=$PATH:/usr/sbin:/sbin
for c in munged mungekey slurmctld slurmd sbatch scontrol scancel squeue; do
  command -v "$c" >/dev/null || skip "no $c: a one-node Slurm needs the Debian packages slurm-wlm and munge (scripts/setup)"
done
[ "$(id -u)" -eq 0 ] || skip "not root: munged, slurmctld and slurmd run as root here"

S="$T/slurm"
mkdir -p "$S/state" "$S/spool"
# Every process the cluster starts carries this variable (the daemons, and
# through sbatch the jobs): what is left of them at the end is found by it.
MARK="TOOLMARK_SLURM_TEST=$S"
submitted=() # job ids, cancelled at the end
munged_pid="" ctld_pid="" slurmd_pid=""

gone() { # PID: exited (or a zombie waiting to be reaped)
  [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
stop() { # PID: TERM, a bounded wait, then KILL
  local i
  kill "$1" 2>/dev/null
  for i in $(seq 1 50); do gone "$1" && return; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
}
cleanup() {
  local p deadline=$((SECONDS + 10))
  if [ -n "$ctld_pid" ] && ! gone "$ctld_pid"; then
    [ ${#submitted[@]} -eq 0 ] || timeout 5 scancel "${submitted[@]}" 2>/dev/null
    while [ $SECONDS -lt $deadline ] && [ -n "$(timeout 2 squeue -h 2>/dev/null)" ]; do sleep 0.1; done
  fi
  for p in $slurmd_pid $ctld_pid $munged_pid; do stop "$p"; done
  for p in $slurmd_pid $ctld_pid; do wait "$p" 2>/dev/null; done
  # anything else the cluster started (slurmstepd, a job's toolmark)
  for p in $(grep -lzxF "$MARK" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
    kill -9 "$p" 2>/dev/null
  done
  chmod -R u+rwx "$T" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' INT TERM
tail_of() { tail -n 5 "$1" 2>/dev/null | tr '\n' ' '; }

# munged: its key, socket, pid, log and seed here; it returns once it serves
mungekey --create --keyfile="$S/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 status=none
chmod 0400 "$S/munge.key"
env "$MARK" munged --force --socket="$S/munge.sock" --key-file="$S/munge.key" --pid-file="$S/munged.pid" \
  --log-file="$S/munged.log" --seed-file="$S/munged.seed" >"$S/munged.out" 2>&1 ||
  skip "munged did not start: $(tail_of "$S/munged.out") $(tail_of "$S/munged.log")"
munged_pid=$(cat "$S/munged.pid")

# two free TCP ports for slurmctld and slurmd
port=$((20000 + $$ % 6000 * 2))
if command -v ss >/dev/null; then
  for _ in $(seq 1 50); do
    [ -z "$(ss -Htln "( sport = :$port or sport = :$((port + 1)) )")" ] && break
    port=$((port + 2))
  done
fi
node=$(hostname -s)
cat >"$S/slurm.conf" <<EOF
ClusterName=toolmarktest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
# schedule batch jobs at once, not up to 3 s later
SchedulerParameters=batch_sched_delay=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=500 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$S/slurm.conf"
env "$MARK" slurmctld -D -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
ctld_pid=$!
env "$MARK" slurmd -D -N "$node" -f "$SLURM_CONF" >"$S/slurmd.out" 2>&1 &
slurmd_pid=$!
# no event says the node is ready: poll its state, bounded
deadline=$((SECONDS + 30))
until scontrol show node "$node" -o 2>/dev/null | grep -q 'State=IDLE'; do
  gone "$ctld_pid" && skip "slurmctld did not start: $(tail_of "$S/slurmctld.log") $(tail_of "$S/slurmctld.out")"
  gone "$slurmd_pid" && skip "slurmd did not start: $(tail_of "$S/slurmd.log") $(tail_of "$S/slurmd.out")"
  [ $SECONDS -lt $deadline ] || skip "the node did not come up in 30 s: $(tail_of "$S/slurmctld.log") $(tail_of "$S/slurmd.log")"
  sleep 0.1
done

# Submits a case with slurm-scan (its arguments), sets ARRAY and MERGE
submit() {
  local out
  out=$(env "$MARK" "$SCAN" "$@" 2>&1)
  RC=$?
  ARRAY=$(sed -n 's/^scan: job array \([0-9]*\),.*/\1/p' <<<"$out")
  MERGE=$(sed -n 's/^merge: job \([0-9]*\),.*/\1/p' <<<"$out")
  OUT=$out
  [ -n "$ARRAY" ] && submitted+=("$ARRAY")
  [ -n "$MERGE" ] && submitted+=("$MERGE")
}
field() { # JOB FIELD: a field of scontrol's record of the job, a line per array task by task id
  scontrol show job -o "$1" | awk -v f="$2" '{ t = ""; v = ""
    for (i = 1; i <= NF; i++) { if ($i ~ /^ArrayTaskId=/) t = substr($i, 13); if (index($i, f "=") == 1) v = substr($i, length(f) + 2) }
    print (t == "" ? "" : t " ") v }' | sort -n
}
# waits, bounded, until the merge job has ended (no event to wait on: poll)
wait_for() { # JOB
  local limit=120 state
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    state=$(field "$1" JobState)
    case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return ;; esac
    sleep 0.2
  done
  fail "job $1 still $state after $limit s: $(tail_of "$S/slurmctld.log")"
  finish
}

# --- the case through Slurm ---
started=$SECONDS
submit -o "$T/case" -m "$T/manifest" -c 1 -p debug -t "$TOOLMARK" -- --comment=toolmark-e2e
assert_eq "$RC" 0 "slurm-scan: $OUT"
[ -n "$ARRAY" ] && [ -n "$MERGE" ] || { fail "no job ids in: $OUT"; finish; }
# the merge waits for every task, failed or not (said while it waits: it
# cannot have started, unless the whole array is done already)
rec=$(scontrol show job -o "$MERGE")
case $rec in
  *JobState=PENDING*) assert_contains "$rec" "Dependency=afterany:${ARRAY}_*(unfulfilled)" "the merge's dependency" ;;
  *) echo "the merge left PENDING before it was looked at: its dependency unchecked" ;;
esac
wait_for "$MERGE"
echo "the case through Slurm: $((SECONDS - started)) s"
# the four tasks, each an input: three done, the missing path failed with toolmark's 1
assert_eq "$(field "$ARRAY" JobState | tr '\n' ' ')" "1 COMPLETED 2 COMPLETED 3 COMPLETED 4 FAILED " "the tasks' states"
assert_eq "$(field "$ARRAY" ExitCode | tr '\n' ' ')" "1 0:0 2 0:0 3 0:0 4 1:0 " "the tasks' exit codes"
assert_eq "$(field "$ARRAY" JobName | sort -u -k2 | cut -d' ' -f2)" toolmark-scan "the array's name"
assert_eq "$(field "$ARRAY" NumCPUs | cut -d' ' -f2 | sort -u)" 1 "-c 1: one CPU a task"
assert_eq "$(field "$ARRAY" Comment | cut -d' ' -f2 | sort -u)" toolmark-e2e "the arguments after -- reach sbatch"
assert_eq "$(field "$MERGE" JobState)" COMPLETED "the merge ran, though a task failed"
last_end=$(field "$ARRAY" EndTime | cut -d' ' -f2 | sort | tail -1)
[[ ! "$(field "$MERGE" StartTime)" < "$last_end" ]] || fail "the merge started before the last task ended ($last_end)"
for i in 1 2 3 4; do
  grep -q "Allocate JobId=${ARRAY}_$i(" "$S/slurmctld.log" || fail "slurmctld's log has no allocation for task $i"
done
# Slurm wrote each task's output where slurm-scan asked: toolmark's lines
L="$T/case/.slurm"
assert_contains "$(cat "$L/scan-${ARRAY}_1.out" 2>&1)" "src01.raw: 18 traces" "task 1 scanned the first input"
assert_contains "$(cat "$L/scan-${ARRAY}_3.out" 2>&1)" "dc01.raw: " "task 3 the third"
assert_contains "$(cat "$L/scan-${ARRAY}_4.out" 2>&1)" "nosuch.raw: not read" "task 4 the missing path"
assert_contains "$(cat "$L/merge-$MERGE.out" 2>&1)" "case: merged timelines, links and report in $T/case/case/" "the merge job's output"

# --- the same case as a local run of the manifest ---
tm scan -q -j 2 -o "$T/local" --manifest "$T/manifest"
assert_eq "$RC" 1 "the local run (a missing input: exit 1)"
mv "$L" "$T/logs1" # Slurm's output files are no output of toolmark's
same_outputs "$T/local" "$T/case" "the case through Slurm against a local run"
cmp -s "$T/local/inputs.tsv" "$T/case/inputs.tsv" || fail "inputs.tsv differs: $(diff "$T/local/inputs.tsv" "$T/case/inputs.tsv")"
assert_eq "$(jq -r '[.inputs[] | "\(.id):\(.status)"] | join(" ")' "$T/case/case/summary.json")" \
  "src01:done dst01:done dc01:done nosuch:not read" "the case's inputs"

# --- again: refused; with --resume, the done inputs kept, at most 2 tasks at once ---
submit -o "$T/case" -m "$T/manifest" -c 1 -t "$TOOLMARK"
assert_eq "$RC" 2 "a case folder with results is refused"
assert_contains "$OUT" "holds the results of an earlier run: --resume to finish it" "and says what to do"
assert_eq "$ARRAY$MERGE" "" "nothing submitted"
submit -o "$T/case" -m "$T/manifest" -c 1 -t "$TOOLMARK" -M 2 --resume
assert_eq "$RC" 0 "slurm-scan --resume: $OUT"
[ -n "$MERGE" ] || { fail "no job ids in: $OUT"; finish; }
assert_eq "$(field "$ARRAY" ArrayTaskThrottle | cut -d' ' -f2 | sort -u)" 2 "-M 2: the array's throttle"
wait_for "$MERGE"
assert_eq "$(field "$ARRAY" ExitCode | tr '\n' ' ')" "1 0:0 2 0:0 3 0:0 4 1:0 " "the tasks' exit codes with --resume"
assert_contains "$(cat "$L/scan-${ARRAY}_2.out" 2>&1)" "dst01.raw: done in an earlier run, kept" "a done input kept"
assert_eq "$(field "$MERGE" JobState)" COMPLETED "the merge ran again"
mv "$L" "$T/logs2"
same_outputs "$T/local" "$T/case" "the resumed case against a local run"
echo "slurm: $SECONDS s in all"
finish
