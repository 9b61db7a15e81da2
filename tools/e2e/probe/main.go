// Command probe is the e2e tests' only workload image: a static binary with no shell, so that every
// check runs as `kubectl exec <pod> -- /probe <check>` and fails with a message instead of a shell error.
//
//	probe serve [addr]        answer every HTTP request with the pod's host name (default addr :8080)
//	probe get URL             exit 0 when URL answers 200 within 5 s; print the body
//	probe resolve NAME        exit 0 when NAME resolves; print the addresses
//	probe connect HOST:PORT   exit 0 when a TCP connection to HOST:PORT opens within 5 s
//	probe count WORD          print "WORD <run> <n>" every 100 ms, n = 1, 2, ...; run is random per start
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

const timeout = 5 * time.Second

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe serve [addr] | get URL | resolve NAME | connect HOST:PORT | count WORD")
	}
	switch cmd, args := os.Args[1], os.Args[2:]; {
	case cmd == "serve" && len(args) <= 1:
		addr := ":8080"
		if len(args) == 1 {
			addr = args[0]
		}
		serve(addr)
	case cmd == "get" && len(args) == 1:
		get(args[0])
	case cmd == "resolve" && len(args) == 1:
		resolve(args[0])
	case cmd == "connect" && len(args) == 1:
		connect(args[0])
	case cmd == "count" && len(args) == 1:
		count(args[0])
	default:
		fail("usage: probe serve [addr] | get URL | resolve NAME | connect HOST:PORT | count WORD")
	}
}

func serve(addr string) {
	name, err := os.Hostname()
	if err != nil {
		fail("host name: %v", err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, name) })
	server := &http.Server{Addr: addr, ReadHeaderTimeout: timeout}
	fail("serve %s: %v", addr, server.ListenAndServe())
}

func get(url string) {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(url)
	if err != nil {
		fail("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		fail("get %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		fail("get %s: status %d", url, resp.StatusCode)
	}
	fmt.Print(string(body))
}

func resolve(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		fail("resolve %s: %v", name, err)
	}
	for _, addr := range addrs {
		fmt.Println(addr)
	}
}

// A NetworkPolicy that drops the packets shows as a timeout, one that rejects them as a refused connection:
// both fail, and the message says which.
func connect(addr string) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		fail("connect %s: %v", addr, err)
	}
	conn.Close()
	fmt.Println("connected to", addr)
}

// Numbered lines for the log collection check: a gap in one run's numbers is a line the collection lost.
func count(word string) {
	run := make([]byte, 4)
	if _, err := rand.Read(run); err != nil {
		fail("random run id: %v", err)
	}
	for n := 1; ; n++ {
		fmt.Printf("%s %x %d\n", word, run, n)
		time.Sleep(100 * time.Millisecond)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "probe: "+format+"\n", args...)
	os.Exit(1)
}
