package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// memory is a process's resident memory as Linux reports it in
// /proc/PID/status, in MiB.
type memory struct {
	RSS  float64 // VmRSS: resident now
	Peak float64 // VmHWM: the most resident since start or the last resetPeak
}

// readMemory reads the resident memory of process pid.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			return memory{}, fmt.Errorf("/proc/%d/status: %s: %v", pid, key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb / 1024
		} else {
			m.Peak = kb / 1024
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if found < 2 {
		return memory{}, fmt.Errorf("/proc/%d/status: no VmRSS and VmHWM", pid)
	}
	return m, nil
}

// resetPeak sets VmHWM of process pid back to its current VmRSS (Linux 4.0
// and later: "5" written to /proc/PID/clear_refs), so that the next peak
// read is the peak of what happens in between. It reports whether it could.
func resetPeak(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// cpuSnapshot is the CPU time the whole machine and some processes had
// used at one moment, in clock ticks (USER_HZ).
type cpuSnapshot struct {
	ok    bool
	busy  uint64 // the machine: every CPU, not idle
	total uint64 // the machine: every CPU, idle or not
	procs uint64 // the processes asked for, together
	last  uint64 // the last of them alone
}

// snapCPU reads /proc/stat and /proc/PID/stat of pids (0s are left out).
func snapCPU(pids ...int) cpuSnapshot {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSnapshot{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return cpuSnapshot{}
	}
	var s cpuSnapshot
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuSnapshot{}
		}
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user.
		if i >= 8 {
			break
		}
		s.total += v
		if i != 3 && i != 4 {
			s.busy += v
		}
	}
	for _, pid := range pids {
		if pid == 0 {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return cpuSnapshot{}
		}
		// The command name, in parentheses, may hold spaces: count from
		// after it. utime and stime are fields 14 and 15.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 13 {
			return cpuSnapshot{}
		}
		s.last = 0
		for _, x := range f[11:13] {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return cpuSnapshot{}
			}
			s.procs += v
			s.last += v
		}
	}
	s.ok = true
	return s
}

// otherCPU returns the share of the machine's CPU time between a and b
// (0 to 1) that processes other than those snapshotted used: how much the
// measurement was disturbed. It returns -1 if it cannot tell.
func otherCPU(a, b cpuSnapshot) float64 {
	if !a.ok || !b.ok || b.total <= a.total {
		return -1
	}
	other := float64(b.busy-a.busy) - float64(b.procs-a.procs)
	return max(0, other/float64(b.total-a.total))
}
