package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the times in /proc/<pid>/stat and /proc/stat (USER_HZ, 100 on
// every Linux architecture Go builds for).
const userHZ = 100

// cpuSample is CPU time used so far by the server itself, by its pods (the shims and
// slots it started, reaped or still running, with what each reaped: /bin/sh and the
// command), by this client, and by the whole machine.
type cpuSample struct {
	at                            time.Time
	server, pods, client, machine time.Duration
}

func sampleCPU(serverPid int) (cpuSample, error) {
	s := cpuSample{at: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", serverPid))
	if err != nil {
		return s, err
	}
	// Fields after the command (which may hold spaces) in parentheses; utime, stime,
	// cutime and cstime are fields 14-17 of the line, 12-15 after it.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if s.server, err = sumTicks(fields, 11, 13); err == nil {
		s.pods, err = sumTicks(fields, 13, 15)
	}
	if err != nil {
		return s, fmt.Errorf("/proc/%d/stat: %w", serverPid, err)
	}
	s.pods += liveChildrenCPU(serverPid)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return s, err
	}
	s.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	all, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(all), "\n")
	// cpu user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
	f := strings.Fields(line)
	busy, err := sumTicks(f, 1, 4)
	if err == nil {
		var rest time.Duration
		rest, err = sumTicks(f, 6, 9)
		busy += rest
	}
	s.machine = busy
	return s, err
}

// liveChildrenCPU is the CPU time of the running children of pid (the slots the
// server keeps, the shims of pods still running) and of what they reaped.
func liveChildrenCPU(pid int) time.Duration {
	entries, _ := os.ReadDir("/proc")
	var sum time.Duration
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		// After the command: state, ppid, ...; utime to cstime are 11-15.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 15 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if t, err := sumTicks(fields, 11, 15); err == nil {
			sum += t
		}
	}
	return sum
}

// sumTicks adds fields[from:to] as clock ticks.
func sumTicks(fields []string, from, to int) (time.Duration, error) {
	if len(fields) < to {
		return 0, fmt.Errorf("%d fields, want at least %d", len(fields), to)
	}
	var ticks int64
	for _, f := range fields[from:to] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// printCPU writes what each used between a and b.
func printCPU(w io.Writer, a, b cpuSample, jobs int) {
	server, pods, client := b.server-a.server, b.pods-a.pods, b.client-a.client
	others := max(b.machine-a.machine-server-pods-client, 0)
	perJob := func(d time.Duration) float64 { return millis(d / time.Duration(jobs)) }
	fmt.Fprintf(w, "  cpu: berth server %.2f s (%.1f ms per job), its pods %.2f s (%.1f ms per job), this client %.2f s, "+
		"other processes on the machine %.2f s, over %.2f s of wall time\n", server.Seconds(), perJob(server),
		pods.Seconds(), perJob(pods), client.Seconds(), others.Seconds(), b.at.Sub(a.at).Seconds())
}
