package har

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAnalyze measures reading and judging a recorded HAR: Parse plus
// Analyze, per file and per entry.
func BenchmarkAnalyze(b *testing.B) {
	for _, name := range []string{"chromium-156-misconfigs.har", "firefox-153-misconfigs.har"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("type=exec/har="+name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var entries int
			for b.Loop() {
				f, err := Parse(name, data)
				if err != nil {
					b.Fatal(err)
				}
				entries = len(f.Entries)
				Analyze(f)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*entries), "ns/entry")
		})
	}
}
