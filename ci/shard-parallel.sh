#!/bin/sh
# Run a scenario on a fleet with GNU parallel over ssh, one shard per host,
# then fetch and merge the databases here.
#
#   ci/shard-parallel.sh SCENARIO host1,host2,host3 [REMOTE_DIR]
#
# Each host needs the project checked out and built at REMOTE_DIR (default:
# the same path as here) and /dev/kvm.  Shards are numbered by host order.
set -eu
scenario=${1:?usage: ci/shard-parallel.sh SCENARIO HOST[,HOST...] [REMOTE_DIR]}
name=$(basename "$scenario" .ini)
hosts=${2:?usage: ci/shard-parallel.sh SCENARIO HOST[,HOST...] [REMOTE_DIR]}
dir=${3:-$(cd "$(dirname "$0")/.." && pwd)}
command -v parallel >/dev/null || { echo "needs GNU parallel (Debian package parallel)" >&2; exit 1; }
n=$(echo "$hosts" | tr ',' '\n' | wc -l)
mkdir -p results/shards
# one job per host: {1} is the shard number, {2} the host
echo "$hosts" | tr ',' '\n' | nl -w1 -s' ' |
	parallel --colsep ' ' -j "$n" --tag \
		"ssh {2} 'cd $dir && build/kvmbench run $scenario --shard {1}/$n --db results/shards/$name-{1}.db --quiet' &&
		 scp {2}:$dir/results/shards/$name-{1}.db results/shards/$name-{1}.db"
dbs=""
for k in $(seq 1 "$n"); do dbs="$dbs results/shards/$name-$k.db"; done
build/kvmbench merge $dbs -o "results/$name-merged.db"
