#!/bin/bash -eu
# Builds every native Go fuzz target of crosscheck as a libFuzzer binary in
# $OUT, inside the OSS-Fuzz base-builder-go image (ClusterFuzzLite runs it;
# see docs/fuzzing-at-scale.md). The targets are ordinary `func FuzzX(f
# *testing.F)` in _test.go files; compile_native_go_fuzzer turns each into a
# libFuzzer binary with go-118-fuzz-build, which swaps the standard testing
# package for its own shim. What this script adds, and why:
#
#   - the shim as a dependency of both modules (go-118-fuzz-build needs it in
#     go.mod);
#   - staging (address builds): go-118-fuzz-build compiles a package's
#     non-test files plus the one file that declares the target, so helpers
#     in other _test.go files would be missing. Each fuzz package's test files
#     become ordinary files that import the shim; files the shim cannot
#     compile (benchmarks: it has no testing.B) are dropped, and testing.TB
#     becomes the interface the targets use of it (the shim has no TB);
#   - the differential targets' package is `main`, which cannot be imported:
#     it is renamed for the build, and the policy files and seed origins it
#     reads at run time are copied next to the binaries ($OUT/crosscheck-data)
#     because a fuzzer runs without the source tree;
#   - compile_native_go_fuzzer finds a target by grepping the package's
#     directory for its name, and skips it with exit 0 when the name is a
#     prefix of another target's (FuzzOrigin, FuzzOriginNetURL) or, in
#     coverage builds, fails when another file mentions it: see build()
#     below. Every binary is checked to exist.
#
# The source is a throwaway copy in the container: staging edits it in place.
# cmd/crosscheck's TestClusterFuzzLiteBuildsEveryTarget (no Docker) fails when
# a Fuzz function of the repository is not built here or a `build` line names
# one that does not exist.

shim=github.com/AdamKorcz/go-118-fuzz-build/testing
root=$(pwd)
mod=github.com/crosscheck-dev/crosscheck

# stage DIR: make the package in DIR buildable by go-118-fuzz-build (see above).
stage() {
	local dir=$1 pkg f
	[ "$SANITIZER" = coverage ] && return # coverage builds use `go test -c` on the package as it is
	pkg=$(cd "$dir" && go list -f '{{.Name}}' .)
	if [ "$pkg" = main ]; then
		sed -i 's/^package main$/package fuzztarget/' "$dir"/*.go
		pkg=fuzztarget
	fi
	for f in "$dir"/*_test.go; do
		if [ "$(sed -n 's/^package //p' "$f" | head -n1)" != "$pkg" ] ||
			grep -qE '^func (Benchmark|TestMain|Example)|testing\.[BM]\b' "$f"; then
			rm "$f" # an external test package, or what the shim cannot compile
			continue
		fi
		sed -i -e "s#^\(\s*\)\"testing\"\$#\1\"$shim\"#" -e "s#^import \"testing\"\$#import \"$shim\"#" \
			-e 's/testing\.TB\b/interface {\n\tHelper()\n\tFatal(...any)\n\tFatalf(string, ...any)\n}/g' "$f"
		mv "$f" "${f%_test.go}_libfuzzer.go"
	done
}

# build MODULE_DIR PACKAGE FUNCTION: build one target as $OUT/FUNCTION.
# compile_native_go_fuzzer greps the package's directory tree for FUNCTION:
# it wants exactly one "func FUNCTION…testing.F" line, else it prints "Could
# not find the function" and exits 0, and (coverage builds) exactly one file
# naming FUNCTION, which it copies. So for the time of the build, every other
# file that names FUNCTION has it written with a lowercase f, and longer
# targets declared next to it are renamed; the files are restored after.
build() {
	local dir=$1 pkg=$2 fn=$3 pkgdir decl others saved
	pkgdir=$(cd "$dir" && go list -f '{{.Dir}}' "$pkg")
	decl=$(grep -rlE --include='*.go' "^func ${fn}\(.*testing\.F" "$pkgdir")
	others=$(grep -rl --include='*.go' "$fn" "$pkgdir" | grep -vxF "$decl" || true)
	saved=$(mktemp -d "$WORK/saved.XXXXXX")
	for f in $decl $others; do cp --parents "$f" "$saved"; done
	[ -z "$others" ] || sed -i "s/$fn/${fn,}/g" $others
	sed -i -E "s/^func (${fn}[A-Za-z0-9_]+\()/func hidden\1/" "$decl"
	(cd "$dir" && compile_native_go_fuzzer "$pkg" "$fn" "$fn")
	cp -r "$saved"/. /
	rm -rf "$saved"
	if [ ! -x "$OUT/$fn" ]; then
		echo "build.sh: compile_native_go_fuzzer did not build $fn ($pkg in $dir)" >&2
		exit 1
	fi
}

# The root module: the spec model (fuzz), the policy loader (fuzz/loaders),
# the case-file loader (cases).
go get "$shim"
stage fuzz
stage fuzz/loaders
stage cases
build . $mod/fuzz FuzzCORSCheck
build . $mod/fuzz FuzzJudge
build . $mod/fuzz FuzzHeaderList
build . $mod/fuzz FuzzOrigin
build . $mod/fuzz FuzzOriginNetURL
build . $mod/fuzz FuzzSafelist
build . $mod/fuzz/loaders FuzzParsePolicy
build . $mod/fuzz/loaders FuzzPolicyPattern
build . $mod/cases FuzzParse

# The HAR reader (har): its seeds are cut from recorded HAR files in
# har/testdata, which the fuzzer reads next to its binary, like the
# differential targets' data below.
sed -i 's/filepath\.Join("testdata", name)/filepath.Join(harData, name)/' har/analyze_test.go
if ! grep -q 'filepath.Join(harData, name)' har/analyze_test.go; then
	echo "build.sh: har/analyze_test.go no longer reads its seeds from testdata as expected; update build.sh" >&2
	exit 1
fi
cat >har/data_libfuzzer.go <<'GO'
package har

import (
	"os"
	"path/filepath"
)

// harData is where .clusterfuzzlite/build.sh copies the recordings the
// fuzz target cuts its seeds from: next to the fuzzer binary.
var harData = func() string {
	exe, err := os.Executable()
	if err != nil {
		return filepath.Join("crosscheck-data", "har")
	}
	return filepath.Join(filepath.Dir(exe), "crosscheck-data", "har")
}()
GO
mkdir -p "$OUT/crosscheck-data/har"
cp har/testdata/*.har "$OUT/crosscheck-data/har/"
stage har
build . $mod/har FuzzParseAnalyze

# The differential fuzzers of real middlewares: their own module.
(cd internal/targets/go && go get "$shim")
target=internal/targets/go/cmd/target
sed -i -e 's/filepath\.Join("\.\.", "\.\.", "\.\.", "policies"/filepath.Join(libfuzzerData, "policies"/' \
	-e 's/filepath\.Join("\.\.", "\.\.", "\.\.", "\.\.", "\.\.", "fuzz"/filepath.Join(libfuzzerData, "fuzz"/' \
	"$target/fuzz_test.go"
if [ "$(grep -c libfuzzerData "$target/fuzz_test.go")" -lt 3 ]; then
	echo "build.sh: $target/fuzz_test.go no longer reads ../../../policies and the FuzzOrigin seeds as expected; update build.sh" >&2
	exit 1
fi
cat >"$target/data_libfuzzer.go" <<'GO'
package main

import (
	"os"
	"path/filepath"
)

// libfuzzerData is where .clusterfuzzlite/build.sh copies the files the
// differential targets read: next to the fuzzer binary.
var libfuzzerData = func() string {
	exe, err := os.Executable()
	if err != nil {
		return "crosscheck-data"
	}
	return filepath.Join(filepath.Dir(exe), "crosscheck-data")
}()
GO
mkdir -p "$OUT/crosscheck-data/policies" "$OUT/crosscheck-data/fuzz/testdata/fuzz/FuzzOrigin"
cp internal/targets/policies/*.json "$OUT/crosscheck-data/policies/"
cp fuzz/testdata/fuzz/FuzzOrigin/bypass-* "$OUT/crosscheck-data/fuzz/testdata/fuzz/FuzzOrigin/"
stage "$target"
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzRSCors
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzChiCors
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzGorillaHandlers
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzGinContribCors
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzEcho
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzEchoV5
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzFiber
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzFiberV3
build internal/targets/go $mod/internal/targets/go/cmd/target FuzzNetHTTPCOP
cd "$root"
