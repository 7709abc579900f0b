package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
)

// noEnvToken clears GRANTBOOK_TOKEN for the child, whatever the test runner has.
var noEnvToken = []string{"GRANTBOOK_TOKEN="}

func status(t *testing.T, method, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func tokenFile(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(dir, core.OwnerTokenFile)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if st, _ := os.Stat(file); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	return strings.TrimSpace(string(b))
}

func TestServeKeepsItsTokenAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir}

	p, base, first := serve(t, noEnvToken, args...)
	if s, _ := status(t, "GET", base+"/api/accounts", first); s != 200 {
		t.Fatalf("the printed token: %d", s)
	}
	if !strings.Contains(p.stdout.String(), filepath.Join(dir, core.OwnerTokenFile)) {
		t.Errorf("serve does not say where the token is kept: %q", p.stdout.String())
	}
	if f := tokenFile(t, dir); f != first {
		t.Errorf("token file %q, printed %q", f, first)
	}
	p.stop()

	p, _, again := serve(t, noEnvToken, args...)
	if again != first {
		t.Errorf("after a restart the token changed: %q, then %q", first, again)
	}
	p.stop()

	_, base, rotated := serve(t, noEnvToken, append(args, "--new-token")...)
	if rotated == first || len(rotated) < 43 {
		t.Errorf("--new-token printed %q (before: %q)", rotated, first)
	}
	if s, _ := status(t, "GET", base+"/api/accounts", first); s != 401 {
		t.Errorf("the token replaced by --new-token: %d, want 401", s)
	}
	if f := tokenFile(t, dir); f != rotated {
		t.Errorf("token file %q after --new-token, printed %q", f, rotated)
	}
}

func TestTokenRotatedFromTheUISurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir}
	p, base, old := serve(t, noEnvToken, args...)
	s, body := status(t, "POST", base+"/api/settings/token", old)
	fresh, _ := body["token"].(string)
	if s != 200 || fresh == "" || fresh == old {
		t.Fatalf("rotate: %d %v", s, body)
	}
	if s, _ := status(t, "GET", base+"/api/accounts", old); s != 401 {
		t.Errorf("old token after rotation: %d, want 401", s)
	}
	if s, _ := status(t, "GET", base+"/api/accounts", fresh); s != 200 {
		t.Errorf("new token after rotation: %d, want 200", s)
	}
	p.stop()
	if _, _, printed := serve(t, noEnvToken, args...); printed != fresh {
		t.Errorf("after a restart serve printed %q, want the rotated %q", printed, fresh)
	}
}

func TestEnvironmentTokenWins(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir}
	p, _, kept := serve(t, noEnvToken, args...)
	p.stop()

	const envTok = "the-token-from-the-environment-0123456789"
	env := []string{"GRANTBOOK_TOKEN=" + envTok}
	p, base, printed := serve(t, env, args...)
	if printed != envTok {
		t.Errorf("printed %q, want GRANTBOOK_TOKEN", printed)
	}
	if s, _ := status(t, "GET", base+"/api/accounts", kept); s != 401 {
		t.Errorf("the stored token while GRANTBOOK_TOKEN is set: %d, want 401", s)
	}
	s, body := status(t, "POST", base+"/api/settings/token", envTok)
	if msg, _ := body["error"].(map[string]any)["message"].(string); s != 409 || !strings.Contains(msg, "GRANTBOOK_TOKEN") {
		t.Errorf("rotating an environment token: %d %v", s, body)
	}
	p.stop()

	refused := startProcess(t, env, append([]string{"serve", "--new-token"}, args...)...)
	if code := refused.exit(20 * time.Second); code != 1 || !strings.Contains(refused.stderr.String(), "GRANTBOOK_TOKEN") {
		t.Errorf("--new-token with GRANTBOOK_TOKEN: exit %d, stderr %q", code, refused.stderr.String())
	}
	if f := tokenFile(t, dir); f != kept {
		t.Errorf("the stored token changed while GRANTBOOK_TOKEN was set: %q, was %q", f, kept)
	}
}

func TestDamagedTokenFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, core.OwnerTokenFile), []byte("1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, noEnvToken, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code := p.exit(20 * time.Second); code != 1 || !regexp.MustCompile(`not hold a valid access token.*--new-token`).MatchString(p.stderr.String()) {
		t.Errorf("a weak token file: exit %d, stderr %q", code, p.stderr.String())
	}
	// --new-token is the way out.
	_, _, tok := serve(t, noEnvToken, "--addr", "127.0.0.1:0", "--data-dir", dir, "--new-token")
	if tokenFile(t, dir) != tok || len(tok) < 43 {
		t.Errorf("--new-token over a damaged file: printed %q", tok)
	}
}
