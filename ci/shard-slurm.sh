#!/bin/sh
# Run a scenario on a Slurm cluster as a job array, one shard per task,
# then merge the shards' databases.
#
#   sbatch --array=1-8 ci/shard-slurm.sh nightly     # shards 1..8 of 8
#   ci/shard-slurm.sh --merge nightly 8              # afterwards, on one node
#
# Each task writes results/shards/NAME-K.db (shared storage); a requeued
# task resumes its interrupted campaign.  Every node needs the project
# built (make) and /dev/kvm.
#SBATCH --job-name=kvmbench
#SBATCH --exclusive
#SBATCH --output=results/shards/slurm-%A_%a.out
set -u
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}" || exit 1
mkdir -p results/shards
if [ "${1:-}" = "--merge" ]; then
	name=$(basename "${2:?scenario}" .ini) n=${3:?shard count}
	dbs=""
	for k in $(seq 1 "$n"); do dbs="$dbs results/shards/$name-$k.db"; done
	exec build/kvmbench merge $dbs -o "results/$name-merged.db"
fi
scenario=${1:?usage: sbatch --array=1-N ci/shard-slurm.sh SCENARIO}
k=${SLURM_ARRAY_TASK_ID:?not a job array task}
n=${SLURM_ARRAY_TASK_COUNT:?not a job array task}
name=$(basename "$scenario" .ini)
db=results/shards/$name-$k.db
tag=slurm-${SLURM_ARRAY_JOB_ID:-local}
# A requeued task resumes its campaign (--resume --dry-run finds it and
# writes nothing); any other error (a damaged database, say) is said and
# ends the task rather than starting over beside it.  A database of an
# older kvmbench is migrated first (the dry run only reads).
resume=
if [ -f "$db" ]; then
	build/kvmbench migrate --db "$db" >/dev/null || exit 1
	if why=$(build/kvmbench run "$scenario" --shard "$k/$n" --db "$db" --resume --dry-run 2>&1 >/dev/null); then
		resume=--resume
	elif ! printf '%s\n' "$why" | grep -q 'no interrupted campaign'; then
		printf '%s\n' "$why" >&2
		exit 1
	fi
fi
exec build/kvmbench run "$scenario" --shard "$k/$n" --db "$db" --tag "$tag" $resume
