package setup

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/lab"
)

// checkHubTLS: HTTPS with a readable certificate and a key that only root
// reads, or plain HTTP on the loopback only.
func checkHubTLS(env *setupEnv) (string, error) {
	h := lab.DefaultHubConfig(env.home)
	if h.TLSCert == "" {
		if !lab.IsLoopback(h.IP) {
			return "", fmt.Errorf("the hub would speak plain HTTP on %q", h.IP)
		}
		return fmt.Sprintf("plain HTTP on %s:%d only (no certificate at %s): serve it to students through a TLS proxy on this machine, or install a certificate and key there", h.IP, h.Port, lab.DefaultTLSCert), nil
	}
	if _, err := os.ReadFile(h.TLSCert); err != nil {
		return "", err
	}
	if err := rootOnly(h.TLSKey, false); err != nil {
		return "", fmt.Errorf("the hub's TLS key: %w", err)
	}
	return fmt.Sprintf("HTTPS on port %d with %s (key %s, root's alone)", h.Port, h.TLSCert, h.TLSKey), nil
}

// rootOnly reports an error unless path is owned by root and neither its
// group nor others may read (or, for a directory, enter) it.
func rootOnly(path string, dir bool) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if dir != info.IsDir() || info.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is not a %s", path, map[bool]string{true: "directory", false: "regular file"}[dir])
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
		return fmt.Errorf("%s is owned by uid %d, not root", path, st.Uid)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %v: others than root may read it", path, info.Mode().Perm())
	}
	return nil
}

// hubSecrets are the files of the hub's state that grant a session or the
// hub's powers to whoever reads them.
func hubSecrets(state string) []string {
	return []string{
		filepath.Join(state, "jupyterhub_cookie_secret"),
		filepath.Join(state, "jupyterhub.sqlite"),
		filepath.Join(state, "jupyterhub.sqlite-journal"),
		filepath.Join(state, "jupyterhub-proxy.pid"),
	}
}

func checkHubSecrets(env *setupEnv) (string, error) {
	state := lab.DefaultHubConfig(env.home).State
	if err := rootOnly(state, true); err != nil {
		return "", fmt.Errorf("the hub's state: %w", err)
	}
	var present []string
	for _, f := range hubSecrets(state) {
		if _, err := os.Lstat(f); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := rootOnly(f, false); err != nil {
			return "", err
		}
		present = append(present, filepath.Base(f))
	}
	what := "none yet: the hub creates them at its first start"
	if len(present) > 0 {
		what = strings.Join(present, ", ")
	}
	return fmt.Sprintf("%s is root's alone (mode 0700); cookie secret and database: %s", state, what), nil
}

func installHubSecrets(env *setupEnv) error {
	state := lab.DefaultHubConfig(env.home).State
	if err := os.MkdirAll(state, 0o700); err != nil {
		return err
	}
	if err := os.Lchown(state, 0, 0); err != nil {
		return err
	}
	if err := os.Chmod(state, 0o700); err != nil {
		return err
	}
	for _, f := range hubSecrets(state) {
		info, err := os.Lstat(f)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := os.Chmod(f, info.Mode().Perm()&^0o077); err != nil {
			return err
		}
	}
	return nil
}

// checkProxyAPI: the proxy's API (which can reroute any student's URL to
// anywhere) and the hub's own port listen on the loopback only, and the
// API refuses a request without the hub's token.
func checkProxyAPI(env *setupEnv) (string, error) {
	h := lab.DefaultHubConfig(env.home)
	listening := false
	for _, port := range []int{h.ProxyAPIPort, h.HubPort} {
		addrs, err := listeners(port)
		if err != nil {
			return "", err
		}
		for _, a := range addrs {
			if !a.IsLoopback() {
				return "", fmt.Errorf("port %d listens on %s: the hub's and the proxy's API must be reachable from this machine only", port, a)
			}
			if port == h.ProxyAPIPort {
				listening = true
			}
		}
	}
	if !listening {
		return fmt.Sprintf("the proxy's API on 127.0.0.1:%d, the hub on 127.0.0.1:%d (not running now)", h.ProxyAPIPort, h.HubPort), nil
	}
	status, err := unauthenticatedStatus(fmt.Sprintf("http://127.0.0.1:%d/api/routes", h.ProxyAPIPort))
	if err != nil {
		return "", err
	}
	if status != http.StatusForbidden && status != http.StatusUnauthorized {
		return "", fmt.Errorf("the proxy's API answered %d to a request without its token", status)
	}
	return fmt.Sprintf("the proxy's API on 127.0.0.1:%d only, refuses requests without the token (%d); the hub on 127.0.0.1:%d", h.ProxyAPIPort, status, h.HubPort), nil
}

func unauthenticatedStatus(url string) (int, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// listeners returns the addresses on which TCP sockets listen on port, from
// /proc/net/tcp and tcp6 (nil where there is no /proc).
func listeners(port int) ([]net.IP, error) {
	var addrs []net.IP
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			ip, p, ok := parseProcAddr(fields[1])
			if ok && p == port {
				addrs = append(addrs, ip)
			}
		}
		f.Close()
	}
	return addrs, nil
}

// parseProcAddr parses /proc/net/tcp's "0100007F:1F41": the address in the
// kernel's byte order, 32-bit words at a time, and the port in hex.
func parseProcAddr(s string) (net.IP, int, bool) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, false
	}
	raw, err := hex.DecodeString(hexIP)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, false
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, err := strconv.ParseInt(hexPort, 16, 32)
	if err != nil {
		return nil, 0, false
	}
	return net.IP(raw), int(port), true
}

// checkSolutionsPrivate: the checkout that setup runs from is the
// instructor's, with the solutions, their hidden tests and whatever was
// rendered from them (build/): students must not enter it.
func checkSolutionsPrivate(env *setupEnv) (string, error) {
	info, err := os.Stat(env.root)
	if err != nil {
		return "", err
	}
	if info.Mode().Perm()&0o007 != 0 {
		return "", fmt.Errorf("every user may enter %s (mode %v), the instructor's checkout with the solutions and hidden tests", env.root, info.Mode().Perm())
	}
	return fmt.Sprintf("%s (solutions, hidden tests) is closed to other users (mode %v); students get %s", env.root, info.Mode().Perm(), systemRelease(env)), nil
}

func installSolutionsPrivate(env *setupEnv) error {
	info, err := os.Stat(env.root)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.out, "           $ chmod o-rwx %s\n", env.root)
	return os.Chmod(env.root, info.Mode().Perm()&^0o007)
}

// fixHubTLS is the command that fixes the hub-tls step by hand.
func fixHubTLS(env *setupEnv) string {
	return fmt.Sprintf("install a certificate and key as %s and %s (key mode 0600), then klcourse setup --system", lab.DefaultTLSCert, lab.DefaultTLSKey)
}

// fixHubSecrets is the command that fixes the hub-secrets step by hand.
func fixHubSecrets(env *setupEnv) string {
	return "chmod 0700 " + lab.DefaultHubConfig(env.home).State + " && chmod go-rwx " + lab.DefaultHubConfig(env.home).State + "/*"
}

// fixProxyAPI is the command that fixes the proxy-api step by hand.
func fixProxyAPI(env *setupEnv) string {
	return "klcourse setup --system, then restart the hub"
}

// fixSolutions is the command that fixes the solutions step by hand.
func fixSolutions(env *setupEnv) string {
	return "chmod o-rwx " + env.root
}
