package cli_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serve prints where contacts sign in: the client area's address once it
// is set, and until then a nudge to set it.
func TestServePrintsTheClientAreaAddress(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir}
	p, base, token := serve(t, noEnvToken, args...)
	// The lines after the serving line may not be out yet.
	p.waitFor(regexp.MustCompile(`Settings → Client area`), 10*time.Second)
	if out := p.stdout.String(); !strings.Contains(out, "Contacts sign in at "+base+"/portal") {
		t.Errorf("without an address serve printed:\n%s", out)
	}
	req, _ := http.NewRequest("PUT", base+"/api/settings/client-area", strings.NewReader(`{"address":"portal.example.com"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("PUT client-area: %v %v", res, err)
	}
	res.Body.Close()
	p.stop()

	p, _, _ = serve(t, noEnvToken, args...)
	p.waitFor(regexp.MustCompile(`Contacts sign in at https://portal\.example\.com/portal\n`), 10*time.Second)
	if strings.Contains(p.stdout.String(), "Settings → Client area") {
		t.Errorf("the nudge stays once the address is set:\n%s", p.stdout.String())
	}
}
