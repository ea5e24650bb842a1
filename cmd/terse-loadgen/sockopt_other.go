//go:build !unix

package main

import "syscall"

// smallReceiveBuffer is a no-op where the socket option is not portable.
func smallReceiveBuffer(_, _ string, _ syscall.RawConn) error { return nil }
