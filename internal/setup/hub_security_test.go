package setup

import (
	"net"
	"testing"
)

func TestParseProcAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ip   string
		port int
	}{
		{"0100007F:1F41", "127.0.0.1", 8001},
		{"00000000:1F40", "0.0.0.0", 8000},
		{"00000000000000000000000001000000:1F41", "::1", 8001},
	} {
		ip, port, ok := parseProcAddr(tc.in)
		if !ok || !ip.Equal(net.ParseIP(tc.ip)) || port != tc.port {
			t.Errorf("parseProcAddr(%q) = %v, %d, %v; want %s, %d", tc.in, ip, port, ok, tc.ip, tc.port)
		}
	}
}

func TestListenersSeesALoopbackListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addrs, err := listeners(l.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || !addrs[0].IsLoopback() {
		t.Errorf("listeners = %v, want [127.0.0.1]", addrs)
	}
}
