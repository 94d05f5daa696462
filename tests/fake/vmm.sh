#!/bin/sh
# A stand-in for kvmbench-vmm, for the harness tests (no KVM needed).
# FAKE_MODE run (the default): tests/fake/vmm.py, with FAKE_PYTHON (else
# python3), writes a valid stats JSON for the workload and ends as its
# settings say (pass, fail, crash, timeout, skip, error; slow, noisy: see
# there).  The other modes misbehave, in shell so that they start at once:
# FAKE_MODE: hang (sleeps), hang-hard (ignores SIGTERM too), segv (dies of
# a signal), garbage (writes a corrupt stats JSON), nojson (writes none),
# stats (copies the file FAKE_STATS to the stats path: a hand-written run),
# chatty (its arguments, then 3 MB on stderr, and a passing stats JSON),
# pass (a passing stats JSON with one metric, after FAKE_SLEEP seconds),
# grandchild (leaves a sleeping child behind), fifo (a FIFO at the stats
# path), pidfile (hangs), first-quick (run 0 ends after a second, the
# others hang).  Every mode writes its pid to vmm.pid in the run's directory.
args="$*"
stats=""
prev=""
for a; do
	[ "$prev" = "-stats" ] && stats=$a
	prev=$a
done
dir=$(dirname "$stats")
[ -n "$stats" ] && echo $$ > "$dir/vmm.pid"
case "${FAKE_MODE:-run}" in
run) exec "${FAKE_PYTHON:-python3}" "$(dirname "$0")/vmm.py" "$@" ;;
hang|pidfile) exec sleep 1000 ;;
hang-hard) trap '' TERM; sleep 1000; sleep 1000 ;;
segv) kill -SEGV $$ ;;
garbage) printf '{"schema": 1, "result": {"status": "pa' > "$stats"; exit 0 ;;
nojson) exit 0 ;;
stats) cp "$FAKE_STATS" "$stats"; exit 0 ;;
chatty)
	echo "args: $args" >&2
	head -c 3000000 /dev/zero | tr '\0' v >&2
	printf '{"schema": 1, "result": {"status": "pass", "reason": "chatty"}}' > "$stats"
	exit 0 ;;
pass)
	sleep "${FAKE_SLEEP:-0}"
	printf '{"schema": 1, "result": {"status": "pass", "reason": "fake"}, "metrics":
	  [{"name": "fake_ns", "value": 1, "unit": "ns"}]}' > "$stats"
	exit 0 ;;
grandchild) sleep 1000 & echo $! > "$dir/grandchild.pid"; exit 0 ;;
fifo) mkfifo "$stats"; exit 0 ;;
first-quick)
	[ "$(basename "$dir")" = 0 ] && { sleep 1; exit 0; }
	exec sleep 1000 ;;
esac
echo "fake vmm: unknown FAKE_MODE '$FAKE_MODE'" >&2
exit 1
