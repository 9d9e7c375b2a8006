// Package ratelog logs a kind of event at most once a second, so that a
// flood of bad clients cannot flood the log: each line says how many of
// its kind were left out since the last one.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter logs each kind of event at most once a second. The zero value
// is ready to use.
type Limiter struct {
	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

// Warn logs msg at warning level to logger, unless a line of the same
// kind went out less than a second ago. A nil logger logs nothing.
func (l *Limiter) Warn(logger *slog.Logger, kind, msg string, args ...any) {
	if logger == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	if l.last == nil {
		l.last, l.dropped = map[string]time.Time{}, map[string]int{}
	}
	if now.Sub(l.last[kind]) < time.Second {
		l.dropped[kind]++
		l.mu.Unlock()
		return
	}
	l.last[kind] = now
	n := l.dropped[kind]
	l.dropped[kind] = 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "similar_not_logged", n)
	}
	logger.Log(context.Background(), slog.LevelWarn, msg, args...)
}
