// Package httpx holds the HTTP plumbing terse's two servers (modelserver and
// rewardserver) share: a hardened http.Server with loopback defaults and
// timeouts, capped request bodies, JSON responses and the Prometheus text
// exposition format.
//
// It imports only the standard library; nothing else in terse may grow here
// that is not used by both servers.
package httpx
