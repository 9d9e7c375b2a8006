//go:build race

package loadgen

// raceEnabled: the race detector allocates on its own account, so that
// allocation counts mean nothing under it.
const raceEnabled = true
