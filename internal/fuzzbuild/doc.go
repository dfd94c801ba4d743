// Package fuzzbuild keeps .clusterfuzzlite/build.sh — the script that builds
// crosscheck's native Go fuzz targets as libFuzzer binaries for
// ClusterFuzzLite (docs/fuzzing-at-scale.md) — in step with the fuzz targets
// themselves. Its test finds every `func FuzzX(*testing.F)` in every module
// of the repository and fails when build.sh does not build it, or builds one
// that does not exist. The check needs neither Docker nor the OSS-Fuzz
// images; it reads the files.
package fuzzbuild
