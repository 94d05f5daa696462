#!/bin/sh
# A misbehaving stand-in for kvmbench-vmm, for the harness tests.
# FAKE_MODE: hang (sleeps), hang-hard (ignores SIGTERM too), segv (dies of
# a signal), garbage (writes a corrupt stats JSON), nojson (writes none),
# stats (copies the file FAKE_STATS as its stats JSON).
stats=""
while [ $# -gt 0 ]; do
	[ "$1" = "-stats" ] && stats=$2
	shift
done
case "$FAKE_MODE" in
hang) exec sleep 1000 ;;
hang-hard) trap '' TERM; sleep 1000; sleep 1000 ;;
segv) kill -SEGV $$ ;;
garbage) printf '{"schema": 1, "result": {"status": "pa' > "$stats"; exit 0 ;;
nojson) exit 0 ;;
stats) cp "$FAKE_STATS" "$stats"; exit 0 ;;
esac
echo "fake vmm: unknown FAKE_MODE '$FAKE_MODE'" >&2
exit 1
