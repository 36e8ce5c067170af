package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procID names a process across pid reuse: its pid and its start time in clock ticks
// since boot (field 22 of /proc/<pid>/stat).
type procID struct {
	PID   int
	Start uint64
}

// procStat is what the runtime reads from /proc/<pid>/stat.
type procStat struct {
	State byte
	PGRP  int
	Start uint64
}

// parseStat parses /proc/<pid>/stat. The command name (field 2) is in parentheses
// and may itself hold spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("process: malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, errors.New("process: malformed stat")
	}
	pgrp, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("process: malformed stat: %v %v", err1, err2)
	}
	return procStat{State: f[0][0], PGRP: pgrp, Start: start}, nil
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// identify returns the procID of a running process.
func identify(pid int) (procID, error) {
	st, err := readStat(pid)
	if err != nil {
		return procID{}, err
	}
	return procID{PID: pid, Start: st.Start}, nil
}

// alive reports whether the process still runs: it exists, is the same process (same
// start time) and is not a zombie waiting to be reaped.
func (id procID) alive() bool {
	st, err := readStat(id.PID)
	return err == nil && st.Start == id.Start && st.State != 'Z' && st.State != 'X'
}

// groupCacheTTL is how long one scan of /proc answers for: Status is called for every
// live workload in every control cycle, and one scan reads every process's stat.
const groupCacheTTL = 100 * time.Millisecond

// groupCache remembers the last scan of /proc.
type groupCache struct {
	mu sync.Mutex
	at time.Time
	m  map[int][]int
}

// get returns the process groups, scanning /proc unless the last scan is recent.
func (c *groupCache) get() map[int][]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || time.Since(c.at) > groupCacheTTL {
		c.m, c.at = groups(), time.Now()
	}
	return c.m
}

// groups maps process group ids to the live processes in them, from one scan of /proc.
func groups() map[int][]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	m := make(map[int][]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.State == 'Z' || st.State == 'X' {
			continue
		}
		m[st.PGRP] = append(m[st.PGRP], pid)
	}
	return m
}
