package procstat

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       CPU
		err        error
	}{
		{"plain", "1234 (netkit) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 3 0 100",
			CPU{User: 2500 * time.Millisecond, System: 750 * time.Millisecond}, nil},
		{"name with spaces and parentheses", "99 (a b) (c)) R 1 99 99 0 -1 0 0 0 0 0 3 4 0 0",
			CPU{User: 30 * time.Millisecond, System: 40 * time.Millisecond}, nil},
		{"no name", "1234 S 1", CPU{}, ErrFormat},
		{"short", "1 (x) S 1 2 3", CPU{}, ErrFormat},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s 0 0", CPU{}, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("parseStat = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	got, err := parseRSS("Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    1536 kB\nThreads:\t1\n")
	if err != nil || got != 1536<<10 {
		t.Errorf("parseRSS = %d, %v; want %d", got, err, 1536<<10)
	}
	if _, err := parseRSS("Name:\tkthread\n"); !errors.Is(err, ErrFormat) {
		t.Errorf("no VmRSS: err = %v, want ErrFormat", err)
	}
}

// TestSelf reads this process: its CPU time grows with work done, and it
// has resident memory.
func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before, err := ReadCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the clock-tick counters move (10 ms resolution), bounded.
	var after CPU
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		x := 0
		for i := range 1_000_000 {
			x += i
		}
		_ = x
		if after, err = ReadCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if after.Total() > before.Total() {
			break
		}
	}
	if d := after.Sub(before); d.Total() <= 0 || d.User < 0 || d.System < 0 {
		t.Errorf("CPU time did not grow: before %+v, after %+v", before, after)
	}
	if rss, err := RSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("RSS = %d, %v", rss, err)
	}
}
