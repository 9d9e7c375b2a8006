// Package procstat reads a process's CPU time and resident memory from
// Linux's /proc, for the benchmark tools that measure a server from
// outside its process.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/PID/stat's times (USER_HZ), 100 on every
// Linux architecture Go supports.
const userHZ = 100

// CPU is a process's CPU time: in user space, and in the kernel on its
// behalf (system calls, page faults, and the network stack's work done in
// its context, which for a loopback write includes delivery to the peer).
type CPU struct {
	User, System time.Duration
}

// Total returns User + System.
func (c CPU) Total() time.Duration { return c.User + c.System }

// Sub returns the CPU time spent between an earlier reading and c.
func (c CPU) Sub(earlier CPU) CPU {
	return CPU{User: c.User - earlier.User, System: c.System - earlier.System}
}

// ErrFormat reports a /proc file that does not read as proc(5) describes.
var ErrFormat = errors.New("procstat: unexpected /proc format")

// ReadCPU returns the CPU time of process pid so far, from /proc/PID/stat;
// its resolution is 10 ms.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime (fields 14 and 15) from a stat line.
// The command name, field 2, is in parentheses and may itself hold spaces
// and parentheses, so fields are counted from the last ')'.
func parseStat(s string) (CPU, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return CPU{}, ErrFormat
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return CPU{}, ErrFormat
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return CPU{}, ErrFormat
	}
	tick := time.Second / userHZ
	return CPU{User: time.Duration(ut) * tick, System: time.Duration(st) * tick}, nil
}

// RSS returns the resident memory of process pid in bytes (VmRSS of
// /proc/PID/status).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseRSS(string(b))
}

func parseRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "VmRSS:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, ErrFormat
			}
			return kb << 10, nil
		}
	}
	return 0, ErrFormat
}
