package rewardserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// Environment variables that carry the service's bearer token: the token
// itself, or a file whose first line is the token. Never a flag value,
// which any user of the machine can read in the process list.
const (
	TokenEnv     = "TERSE_REWARD_TOKEN"
	TokenFileEnv = "TERSE_REWARD_TOKEN_FILE"
)

// ErrNoToken reports a non-loopback listen address without a bearer token.
var ErrNoToken = errors.New("rewardserver: a non-loopback address needs a bearer token")

// LoadToken returns the bearer token from file (when not "", its first
// line), else $TERSE_REWARD_TOKEN, else the first line of the file named
// by $TERSE_REWARD_TOKEN_FILE; "" when none is set. An empty or
// unreadable token file is an error naming the file.
func LoadToken(file string) (string, error) {
	if file == "" {
		if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" {
			return t, nil
		}
		file = os.Getenv(TokenFileEnv)
		if file == "" {
			return "", nil
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("rewardserver: token file: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	t := strings.TrimSpace(line)
	if t == "" {
		return "", fmt.Errorf("rewardserver: token file %s: first line is empty", file)
	}
	return t, nil
}

// rsLoopback reports whether addr (host:port) binds only the loopback
// interface. An empty host, 0.0.0.0 or :: bind every interface; a host
// name other than localhost is treated as non-loopback.
func rsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rsCheckBind refuses a non-loopback address without a token.
func rsCheckBind(addr, token string) error {
	if token == "" && !rsLoopback(addr) {
		return fmt.Errorf("%w: %s (set %s or %s, or --token-file)", ErrNoToken, addr, TokenEnv, TokenFileEnv)
	}
	return nil
}

// rsAuth wraps h: with a token, every request except GET /healthz must
// carry "Authorization: Bearer <token>" (401 otherwise). The comparison
// hashes both sides and compares the digests in constant time, so neither
// the token's content nor its length leaks through timing.
func rsAuth(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
			h.ServeHTTP(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="terse reward"`)
			rsWriteError(w, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
