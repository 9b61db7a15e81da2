// Command pause holds a pod's namespaces open: it sleeps until SIGINT or SIGTERM and, being PID 1 of
// the pod when the pod shares its process namespace, reaps the zombies that other containers leave.
// It is the ome.k8s replacement for the upstream pause image, built without a C toolchain.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by tools/k8s/build.sh with the tag kubeadm expects.
var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause", version, "(ome.k8s)")
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "warning: pause should be the first process of a container")
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			fmt.Fprintf(os.Stderr, "pause: %v received, exiting\n", sig)
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
