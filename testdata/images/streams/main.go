// Command streams is a fixture app reached over TCP and UDP, not HTTP: a
// TCP line service on $TCP_PORT (default 7000) that greets with a banner,
// echoes each line and answers "COUNT" with the number of UDP datagrams
// the process received; and a UDP echo on $UDP_PORT (default 7001). Run as
// `streams check`, it is its own healthcheck: it connects to the TCP port
// and expects the banner.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// imageTag is set at build time by scripts/build-fixtures.sh.
var imageTag = "dev"

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func banner() string { return "streams ready (image tag " + imageTag + ")" }

func main() {
	log.SetOutput(os.Stdout)
	log.SetFlags(log.LstdFlags | log.LUTC)
	tcpPort, udpPort := env("TCP_PORT", "7000"), env("UDP_PORT", "7001")
	if len(os.Args) > 1 && os.Args[1] == "check" {
		if err := check(tcpPort); err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var datagrams atomic.Int64
	ln, err := net.Listen("tcp", ":"+tcpPort)
	if err != nil {
		log.Fatalf("error: %v", err)
	}
	pc, err := net.ListenPacket("udp", ":"+udpPort)
	if err != nil {
		log.Fatalf("error: %v", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
		pc.Close()
	}()
	go serveUDP(pc, &datagrams)
	log.Printf("streams (image tag %s): tcp :%s, udp :%s", imageTag, tcpPort, udpPort)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				log.Printf("stopped")
				return
			}
			log.Printf("accept: %v", err)
			continue
		}
		go serveTCP(c, &datagrams)
	}
}

func serveTCP(c net.Conn, datagrams *atomic.Int64) {
	defer c.Close()
	log.Printf("tcp: %s connected", c.RemoteAddr())
	fmt.Fprintf(c, "%s\n", banner())
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "COUNT" {
			fmt.Fprintf(c, "count: %d\n", datagrams.Load())
			continue
		}
		fmt.Fprintf(c, "echo: %s\n", line)
	}
}

func serveUDP(pc net.PacketConn, datagrams *atomic.Int64) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		datagrams.Add(1)
		if _, err := pc.WriteTo(append([]byte("echo: "), buf[:n]...), from); err != nil {
			log.Printf("udp: answering %s: %v", from, err)
		}
	}
}

// check connects to the TCP port and expects the banner.
func check(port string) error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != banner() {
		return fmt.Errorf("banner %q", line)
	}
	return nil
}
