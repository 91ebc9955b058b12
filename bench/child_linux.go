package main

import (
	"os"
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop the child should the harness die
// without stopping it, so that no server outlives a run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// maxRSSMB returns the peak resident memory of an ended child, in MiB.
func maxRSSMB(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return 0
}
