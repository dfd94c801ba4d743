//go:build unix

package cases

import "syscall"

// cpuNanos is the CPU time the process has used, in nanoseconds. On a
// shared machine a benchmark's wall time mostly measures the other
// processes; its CPU time measures the code.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
