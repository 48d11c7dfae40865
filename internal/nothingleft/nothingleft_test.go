package nothingleft

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{".cache/go-build/ab/x", ".cache/Microsoft/deviceid", "mat-debug-1.log"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), nil, 0o644)
	}
	got := Files(dir, ".cache/go-build")
	want := []string{".cache/Microsoft", ".cache/Microsoft/deviceid", "mat-debug-1.log"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Files = %q, want %q", got, want)
	}
	if got := Since([]string{"a"}, []string{"a", "b"}); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("Since = %q", got)
	}
}

func TestForeignConnects(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	os.WriteFile(trace, []byte(`10 connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0
10 connect(4, {sa_family=AF_INET, sin_port=htons(5555), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
11 connect(5, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0
12 connect(6, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("20.42.65.92")}, 16) = -1 ENETUNREACH (Network is unreachable)
14 sendto(3, [{nlmsg_len=32, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=1, nlmsg_pid=0}, {ifi_family=AF_INET, ifi_type=ARPHRD_NETROM, ifi_index=0}], 32, 0, NULL, 0) = 32
13 sendto(7, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 1
`), 0o644)
	got, err := ForeignConnects(trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0][:2] != "12" || got[1][:2] != "13" {
		t.Errorf("ForeignConnects = %q, want the lines of pids 12 and 13", got)
	}
}

func TestTraceSeesAConnect(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exec 3<>/dev/tcp/192.0.2.1/9 2>/dev/null; true")
	if _, err := exec.LookPath("bash"); err == nil {
		cmd = exec.Command("bash", "-c", "timeout 2 bash -c 'exec 3<>/dev/tcp/192.0.2.1/9' 2>/dev/null; true")
	}
	trace := filepath.Join(t.TempDir(), "trace")
	if !Trace(cmd, trace) {
		t.Skip("strace is not available here")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got, err := ForeignConnects(trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		data, _ := os.ReadFile(trace)
		t.Errorf("a connect to 192.0.2.1 was not seen; the trace:\n%s", data)
	}
}
