package httpx

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Server timeouts shared by terse's servers: a slow client may not hold a
// connection open forever.
const (
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout bounds a keep-alive connection between requests.
	IdleTimeout = 2 * time.Minute
)

// NewServer returns an http.Server for h with the shared header and idle
// timeouts. readTimeout bounds reading a whole request, body included (0:
// none; the handler sets its own deadline). Request contexts derive from ctx
// without its cancellation, so that a graceful shutdown lets in-flight
// requests finish.
func NewServer(ctx context.Context, h http.Handler, readTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// Listen listens on the TCP address addr. terse's servers default to a
// loopback address; binding elsewhere is the caller's explicit choice.
func Listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}
