#!/usr/bin/env bash
# Fuzzes every native Go fuzz target of crosscheck for a short budget each
# and fails when any of them fails (a property violated, a panic, a hang).
#
#   scripts/fuzz.sh                      # every target, 10s each
#   FUZZTIME=60s scripts/fuzz.sh         # longer
#   FUZZ_FILTER=Origin scripts/fuzz.sh   # only targets whose name matches
#
# Targets: fuzz/ (spec model), fuzz/loaders/ (policy loader), cases/
# (case-file loader, cases.FuzzParse), har/ (HAR reading and judging) and
# the differential fuzzers of real
# middlewares in the separate module internal/targets/go (cmd/target).
# Environment: FUZZTIME (default 10s), FUZZMINIMIZETIME (default 3s: time
# spent minimizing each new input; go's default of 60s can eat a short
# budget), FUZZPARALLEL (workers per target, default 1), FUZZ_FILTER (a
# grep -E pattern on target names), FUZZ_TIMEOUT_MARGIN (seconds a target
# may run past its budget, building included, before it counts as hung;
# default 300).
#
# A failing input is written to <package>/testdata/fuzz/<FuzzName>/ by go
# test; commit it (under a descriptive name) so that `go test` reproduces it.
# Output: one line per target with its result and its execs/sec (average
# over the whole run, and the peak of go's 3-second figures); exit status 0 when every target passed, 1 otherwise, 2 when the
# targets could not be listed.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
minimize=${FUZZMINIMIZETIME:-3s}
parallel=${FUZZPARALLEL:-1}
filter=${FUZZ_FILTER:-.}
margin=${FUZZ_TIMEOUT_MARGIN:-300}

# seconds converts a go duration of whole seconds or minutes (10s, 2m) to
# seconds; anything else counts as 60.
seconds() {
	case $1 in
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo 60 ;;
	esac
}
limit=$(($(seconds "$fuzztime") + margin))

# dir|package pairs: the module directory to run go in, and the package.
packages=(
	".|./fuzz"
	".|./fuzz/loaders"
	".|./cases"
	".|./har"
	"internal/targets/go|./cmd/target"
)

failed=0
summary=()
# First the seed corpora and the packages' tests, which fuzzing mode does
# not run (TestSeedsInSync, TestKnownFindingsReproduce, ...).
echo "== go test ./fuzz/... ./cases ./har; go test ./cmd/target in internal/targets/go" >&2
if ! go test -count=1 ./fuzz/... ./cases ./har >&2; then
	failed=1
	summary+=("FAIL  go test ./fuzz/... ./cases ./har")
fi
if ! (cd internal/targets/go && go test -count=1 ./cmd/target) >&2; then
	failed=1
	summary+=("FAIL  go test ./cmd/target (internal/targets/go)")
fi
for entry in "${packages[@]}"; do
	dir=${entry%%|*}
	pkg=${entry#*|}
	if ! targets=$(cd "$dir" && go test -list '^Fuzz' "$pkg" 2>&1); then
		echo "fuzz.sh: cannot list the fuzz targets of $pkg in $dir:" >&2
		echo "$targets" >&2
		exit 2
	fi
	for name in $(echo "$targets" | grep -E '^Fuzz' | grep -E -- "$filter"); do
		log=$(mktemp)
		echo "== $pkg $name ($fuzztime)" >&2
		fuzz_once() {
			(cd "$dir" && timeout --kill-after=10 "$limit" go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" \
				-fuzzminimizetime "$minimize" -parallel "$parallel" "$pkg") >"$log" 2>&1
		}
		fuzz_once
		status=$?
		# Go's engine reports "context deadline exceeded", with no failing
		# input, when the budget ends before it has finished reading the
		# corpus (the cached corpus grows from run to run): not a finding.
		# Run it once more; a second such failure counts.
		if [ "$status" -ne 0 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written to' "$log"; then
			echo "   (the budget ended before the corpus was read; running $name again)" >&2
			fuzz_once
			status=$?
		fi
		# The average rate (total execs over the seconds fuzzed, baseline and
		# minimization included) and the peak of the 3-second rates go prints.
		rate=$(grep -E '^fuzz: elapsed: [0-9]+s, execs: [0-9]+' "$log" |
			awk '{e=$3; sub(/s,/, "", e); x=$5; r=$6; gsub(/[(\/sec),]/, "", r); if (r+0 > peak) peak=r+0}
				END {if (e > 0) printf "%d execs/sec average, %d peak", x / e, peak}')
		if [ "$status" -eq 0 ]; then
			summary+=("ok    $pkg $name ${rate:-(no rate)}")
		else
			failed=1
			if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
				summary+=("HUNG  $pkg $name (no result within ${limit}s)")
			else
				summary+=("FAIL  $pkg $name")
			fi
			grep -vE '^fuzz: elapsed' "$log" >&2
		fi
		rm -f "$log"
	done
done
printf '%s\n' "${summary[@]}"
exit "$failed"
