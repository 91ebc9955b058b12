package main

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop the child should the harness die
// without stopping it, so that no server outlives a run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
