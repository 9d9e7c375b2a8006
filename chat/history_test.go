package chat

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemoryHistory(t *testing.T) {
	var h MemoryHistory
	ctx := context.Background()
	for i := range 150 {
		h.Record("a", []byte(fmt.Sprintf("a%d\n", i)))
	}
	h.Record("b", []byte("b0\n"))
	tests := []struct {
		room string
		n    int
		want []string
	}{
		{"a", 3, []string{"a147\n", "a148\n", "a149\n"}},
		{"a", 1, []string{"a149\n"}},
		{"b", 20, []string{"b0\n"}},
		{"none", 20, nil},
		{"a", 0, nil},
	}
	for _, tt := range tests {
		got, err := h.Last(ctx, tt.room, tt.n)
		var gs []string
		for _, l := range got {
			gs = append(gs, string(l))
		}
		if err != nil || !cmp.Equal(gs, tt.want) {
			t.Errorf("Last(%q, %d) = %q, %v; want %q", tt.room, tt.n, gs, err, tt.want)
		}
	}
	all, _ := h.Last(ctx, "a", 1000)
	if len(all) != MaxHistoryLines || string(all[0]) != "a50\n" {
		t.Errorf("Last(a, 1000) = %d lines from %q, want %d from a50", len(all), all[0], MaxHistoryLines)
	}
}

// TestMemoryHistoryBound: past MaxBytes, the rooms written least recently
// are forgotten.
func TestMemoryHistoryBound(t *testing.T) {
	h := MemoryHistory{MaxBytes: 1000}
	line := []byte(strings.Repeat("x", 99) + "\n")
	for i := range 20 {
		h.Record(fmt.Sprintf("r%d", i), line)
	}
	if h.bytes > 1000 {
		t.Errorf("kept %d bytes, want at most 1000", h.bytes)
	}
	if got, _ := h.Last(context.Background(), "r0", 1); got != nil {
		t.Errorf("the oldest room is still kept: %q", got)
	}
	if got, _ := h.Last(context.Background(), "r19", 1); len(got) != 1 {
		t.Errorf("the newest room lost its line")
	}
}

// TestPresenceBound: a node's presence lists at most MaxPresenceRooms
// rooms, the fullest ones, and at most the names /who lists per room.
func TestPresenceBound(t *testing.T) {
	s := NewServer(Config{})
	s.mu.Lock()
	for i := range MaxPresenceRooms + 10 {
		members := make(map[*session]string)
		for j := range i%3 + 1 {
			members[&session{}] = fmt.Sprintf("u%d-%d", i, j)
		}
		s.rooms[fmt.Sprintf("r%d", i)] = members
	}
	big := make(map[*session]string)
	for j := range 150 {
		big[&session{}] = fmt.Sprintf("n%03d", j)
	}
	s.rooms["big"] = big
	s.mu.Unlock()
	p := s.Presence("n1")
	if len(p.Rooms) != MaxPresenceRooms {
		t.Errorf("rooms listed = %d, want %d", len(p.Rooms), MaxPresenceRooms)
	}
	rp, ok := p.Rooms["big"]
	if !ok || rp.Members != 150 || len(rp.Names) != maxListed || rp.Names[0] != "n000" {
		t.Errorf("the fullest room = %d members, %d names from %q; want 150, %d from n000", rp.Members, len(rp.Names), rp.Names[0], maxListed)
	}
}
