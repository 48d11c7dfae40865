package lab

import (
	"strings"
	"testing"
	"time"
)

// The generated configuration runs the course's proxy and, with an idle
// timeout, jupyterhub-idle-culler with the role it needs; students land in
// JupyterLab.
func TestHubConfigCullerProxyLab(t *testing.T) {
	h := DefaultHubConfig("/opt/klcourse")
	h.CullIdle = 30 * time.Minute
	out, err := h.Render()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`c.ConfigurableHTTPProxy.command = ["/opt/klcourse/hubproxy/node_modules/.bin/configurable-http-proxy"]`,
		`c.Spawner.default_url = "/lab/tree/klcourse"`,
		`"command": ["/opt/klcourse/venv/bin/python", "-m", "jupyterhub_idle_culler", "--timeout=1800", "--cull-every=180"]`,
		`"scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]`,
		`#     /opt/klcourse/venv/bin/jupyterhub -f THIS_FILE`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the config lacks %s:\n%s", want, s)
		}
	}
	h.CullIdle = 0
	if out, err := h.Render(); err != nil || strings.Contains(string(out), "idle_culler") {
		t.Errorf("CullIdle 0 still culls (%v)", err)
	}
	h.CullIdle = 30 * time.Second
	if _, err := h.Render(); err == nil {
		t.Error("an idle timeout of 30 s accepted")
	}
}
