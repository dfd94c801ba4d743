//go:build !unix

package cases

// cpuNanos is 0 where getrusage is not available: the cpu-ms/op metric is
// then not reported.
func cpuNanos() int64 { return 0 }
