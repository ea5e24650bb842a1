//go:build unix

package main

import "syscall"

// smallReceiveBuffer shrinks a socket's receive buffer before it connects,
// so that a peer writing to a client that does not read blocks soon.
func smallReceiveBuffer(_, _ string, rc syscall.RawConn) error {
	return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
}
