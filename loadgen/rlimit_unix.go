//go:build unix

package loadgen

import "syscall"

// RaiseFileLimit raises the soft open-file limit (RLIMIT_NOFILE) to at
// least want where allowed: up to the hard limit, and beyond it when the
// process may raise the hard limit too (root, up to fs.nr_open). It
// returns the soft limit in force afterwards. Go already raises the soft
// limit to the hard one at start-up; this adds the second step.
func RaiseFileLimit(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, nil
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
