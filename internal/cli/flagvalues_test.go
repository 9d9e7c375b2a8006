package cli

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"500ms", 500 * time.Millisecond, false},
		{"2s", 2 * time.Second, false},
		{"0.5", 500 * time.Millisecond, false},
		{"3", 3 * time.Second, false},
		{"1m30s", 90 * time.Second, false},
		{"-1", 0, true},
		{"-2s", 0, true},
		{"soon", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1024", 1024, false},
		{"64KiB", 64 << 10, false},
		{"32MiB", 32 << 20, false},
		{"1MB", 1000000, false},
		{"10k", 10 << 10, false},
		{"1.5KiB", 1536, false},
		{"0", 0, false},
		{"-1", 0, true},
		{"lots", 0, true},
		{"1 GiB", 1 << 30, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, n := range []int64{0, 1000, 1024, 64 << 10, 32 << 20, 1 << 30} {
		if got, err := parseSize(formatSize(n)); err != nil || got != n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", n, got, err)
		}
	}
}
