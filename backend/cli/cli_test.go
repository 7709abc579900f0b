package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"grantbook/backend/cli"
	"grantbook/backend/core"
	"grantbook/backend/proctest"
	"grantbook/backend/version"
)

var assets = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>cli test</title>")}}

// noDesktop fails the test if the window would open.
func noDesktop(t *testing.T) cli.Desktop {
	return func(*core.App, fs.FS, error) error {
		t.Error("the desktop window was opened")
		return nil
	}
}

func run(t *testing.T, desktop cli.Desktop, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(args, assets, desktop, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDataDirPrecedence(t *testing.T) {
	envDir := filepath.Join(t.TempDir(), "from-env")
	flagDir := filepath.Join(t.TempDir(), "from-flag")
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg) // os.UserConfigDir on Unix-likes other than macOS
	t.Setenv("GRANTBOOK_DATA_DIR", envDir)

	got, err := cli.DataDir(flagDir)
	if err != nil || got != flagDir {
		t.Errorf("flag and env: %q, %v; want the flag %q", got, err, flagDir)
	}
	got, err = cli.DataDir("")
	if err != nil || got != envDir {
		t.Errorf("env only: %q, %v; want the env %q", got, err, envDir)
	}

	t.Setenv("GRANTBOOK_DATA_DIR", "")
	base, err := os.UserConfigDir()
	if err != nil {
		t.Fatalf("no user config dir in this environment: %v", err)
	}
	got, err = cli.DataDir("")
	if want := filepath.Join(base, "Grantbook"); err != nil || got != want {
		t.Errorf("neither: %q, %v; want %q", got, err, want)
	}
	if runtime.GOOS == "linux" && got != filepath.Join(cfg, "Grantbook") {
		t.Errorf("default %q is not under XDG_CONFIG_HOME %q", got, cfg)
	}
}

func TestDataDirMakesRelativePathsAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	cwd, _ := os.Getwd()
	t.Setenv("GRANTBOOK_DATA_DIR", "env/rel")
	got, err := cli.DataDir("")
	if err != nil || got != filepath.Join(cwd, "env", "rel") {
		t.Errorf("relative env: %q, %v", got, err)
	}
	got, err = cli.DataDir("flag/rel")
	if err != nil || got != filepath.Join(cwd, "flag", "rel") {
		t.Errorf("relative flag: %q, %v", got, err)
	}
}

func TestDataDirWithoutConfigDir(t *testing.T) {
	t.Setenv("GRANTBOOK_DATA_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("AppData", "")
	if _, err := os.UserConfigDir(); err == nil {
		t.Skip("this OS finds a config directory without HOME")
	}
	_, err := cli.DataDir("")
	if err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("error %v should suggest --data-dir", err)
	}
	// The flag still works.
	if got, err := cli.DataDir(t.TempDir()); err != nil || got == "" {
		t.Errorf("flag without config dir: %q, %v", got, err)
	}
}

func TestUnknownCommandExits2(t *testing.T) {
	code, out, errs := run(t, noDesktop(t), "frobnicate", "--data-dir", t.TempDir())
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(errs, `unknown command "frobnicate"`) || !strings.Contains(errs, "Usage:") {
		t.Errorf("stderr %q should name the command and show usage", errs)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, errs := run(t, noDesktop(t), "version")
	if code != 0 || out != "grantbook "+version.Version+"\n" || errs != "" || version.Version == "" {
		t.Errorf("version: code %d stdout %q stderr %q (version %q)", code, out, errs, version.Version)
	}
	code, out, _ = run(t, noDesktop(t), "help")
	if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "serve") || !strings.Contains(out, "GRANTBOOK_DATA_DIR") {
		t.Errorf("help: code %d stdout %q", code, out)
	}
	for _, args := range [][]string{{"--help"}, {"serve", "-h"}} {
		code, _, errs := run(t, noDesktop(t), args...)
		if code != 0 || !strings.Contains(errs, "-data-dir") {
			t.Errorf("%q: code %d stderr %q", args, code, errs)
		}
	}
}

func TestBadArguments(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--colour", "red"}, "colour"},
		{[]string{"serve", "--port", "80"}, "port"},
		{[]string{"serve", "--data-dir", dir, "now"}, `unexpected argument "now"`},
	} {
		code, _, errs := run(t, noDesktop(t), tc.args...)
		if code == 0 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%q: code %d stderr %q", tc.args, code, errs)
		}
	}
}

func TestServeRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	checkRefused(t, []refusal{
		{[]string{"--addr", "0.0.0.0:0"}, "refusing to listen"},
		{[]string{"--addr", ":0"}, "refusing to listen"},
		{[]string{"--addr", "[::]:0"}, "refusing to listen"},
		{[]string{"--addr", "192.0.2.10:0"}, "refusing to listen"},
		{[]string{"--addr", "no-port"}, "--addr"},
		{[]string{"--tls-cert", "cert.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", "key.pem"}, "--tls-cert and --tls-key go together"},
	})
}

func TestServeRefusesAShortToken(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	t.Setenv("GRANTBOOK_TOKEN", strings.Repeat("x", 31))
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errs := run(t, noDesktop(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, "GRANTBOOK_TOKEN has 31 characters, at least 32") {
		t.Errorf("31-character token: code %d stderr %q, want 1 and the reason", code, errs)
	}
	if strings.Contains(out, "serving on") {
		t.Errorf("claimed to serve: %q", out)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the data directory was created before the token was checked")
	}
}

func TestServeFlagsForNamesAndProxies(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--addr", "0.0.0.0:0", "--insecure-remote"}, "pass --host"},
		{[]string{"--addr", "0.0.0.0:0", "--insecure-remote", "--host", "grantbook.example.com"}, "name it with --trusted-proxy"},
		{[]string{"--trusted-proxy", "proxy.example"}, "not a CIDR or an address"},
		{[]string{"--trusted-proxy", "10.0.0.0/33"}, "not a CIDR or an address"},
		{[]string{"--host", ""}, "empty name"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		code, _, errs := run(t, noDesktop(t), append([]string{"serve", "--data-dir", dir}, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%q: code %d stderr %q, want %q", tc.args, code, errs, tc.msg)
		}
	}
}

func TestDesktopOpensCoreInDataDir(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	flagDir := filepath.Join(t.TempDir(), "flag")
	envDir := filepath.Join(t.TempDir(), "env")
	t.Setenv("GRANTBOOK_DATA_DIR", envDir)

	var gotAssets fs.FS
	desktop := func(app *core.App, a fs.FS, _ error) error {
		gotAssets = a
		_, err := app.CreateAccount(context.Background(), "Made in the window")
		return err
	}
	if code, _, errs := run(t, desktop, "--data-dir", flagDir); code != 0 {
		t.Fatalf("desktop: code %d, %s", code, errs)
	}
	if gotAssets == nil {
		t.Fatal("desktop did not get the assets")
	}
	if _, err := os.Stat(filepath.Join(flagDir, core.DBFile)); err != nil {
		t.Errorf("database not in --data-dir: %v", err)
	}
	if _, err := os.Stat(envDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("GRANTBOOK_DATA_DIR was used although --data-dir was given: %v", err)
	}
	// The core was closed and the write persisted.
	app, err := core.Open(context.Background(), flagDir)
	if err != nil {
		t.Fatal(err)
	}
	accs, _ := app.Accounts(context.Background())
	app.Close()
	if len(accs) != 1 || accs[0].Name != "Made in the window" {
		t.Errorf("accounts after the window closed: %+v", accs)
	}

	// Without the flag, the environment decides.
	if code, _, errs := run(t, func(*core.App, fs.FS, error) error { return nil }); code != 0 {
		t.Fatalf("desktop from env: code %d, %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(envDir, core.DBFile)); err != nil {
		t.Errorf("database not in GRANTBOOK_DATA_DIR: %v", err)
	}

	// A window that fails makes a failing exit.
	code, _, errs := run(t, func(*core.App, fs.FS, error) error { return errors.New("no display") }, "--data-dir", flagDir)
	if code != 1 || !strings.Contains(errs, "no display") {
		t.Errorf("failing window: code %d stderr %q", code, errs)
	}
}

func TestServeBusyAddress(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen: %v", err)
	}
	defer ln.Close()
	code, out, errs := run(t, noDesktop(t), "serve", "--addr", ln.Addr().String(), "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, "serve:") {
		t.Errorf("busy address: code %d stderr %q", code, errs)
	}
	if strings.Contains(out, "serving on") {
		t.Errorf("claimed to serve: %q", out)
	}
}

func TestServe(t *testing.T) {
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Skipf("cannot find this process: %v", err)
	}
	t.Setenv("GRANTBOOK_KEYRING", "off")
	// While the test listens for interrupts too, an interrupt that arrives
	// before serve installs its handler cannot kill the test binary.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	for _, tc := range []struct {
		name, envToken string
	}{{"token from env", "secret-token-from-env-0123456789abcdef"}, {"generated token", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GRANTBOOK_TOKEN", tc.envToken)
			dir := t.TempDir()
			var stdout, stderr proctest.Buffer
			done := make(chan int, 1)
			go func() {
				done <- cli.Main([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--host", "grantbook.test"}, assets, nil, &stdout, &stderr)
			}()

			line := regexp.MustCompile(`serving on (http://[0-9.:]+)/#token=(\S+)`)
			var m []string
			deadline := time.Now().Add(20 * time.Second)
			for m == nil {
				select {
				case code := <-done:
					t.Fatalf("serve exited with %d before serving: %s", code, stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("serve printed no URL: %q %q", stdout.String(), stderr.String())
				}
				m = line.FindStringSubmatch(stdout.String())
			}
			base, tok := m[1], m[2]
			if tc.envToken != "" && tok != tc.envToken {
				t.Errorf("printed token %q, want GRANTBOOK_TOKEN %q", tok, tc.envToken)
			}
			if tc.envToken == "" && len(tok) < 32 {
				t.Errorf("generated token %q is too short", tok)
			}

			get := func(path, auth string) int {
				req, _ := http.NewRequest("GET", base+path, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode
			}
			if s := get("/api/health", ""); s != 200 {
				t.Errorf("health: %d", s)
			}
			if s := get("/api/accounts", ""); s != 401 {
				t.Errorf("accounts without token: %d", s)
			}
			if s := get("/api/accounts", "Bearer "+tok); s != 200 {
				t.Errorf("accounts with the printed token: %d", s)
			}
			if s := get("/contacts/1", ""); s != 200 {
				t.Errorf("frontend: %d", s)
			}
			for host, want := range map[string]int{"evil.example": 421, "grantbook.test:8443": 200} {
				req, _ := http.NewRequest("GET", base+"/api/health", nil)
				req.Host = host
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("Host %s: %d, want %d", host, res.StatusCode, want)
				}
			}

			// Interrupt until serve returns: the first signal may come before
			// its handler is installed.
			stopBy := time.Now().Add(20 * time.Second)
			for {
				if err := self.Signal(os.Interrupt); err != nil {
					t.Skipf("cannot interrupt this process on this OS: %v", err)
				}
				select {
				case code := <-done:
					if code != 0 {
						t.Errorf("serve exited with %d after an interrupt: %s", code, stderr.String())
					}
					if _, err := os.Stat(filepath.Join(dir, core.DBFile)); err != nil {
						t.Errorf("database: %v", err)
					}
					if _, err := http.Get(base + "/api/health"); err == nil {
						t.Error("server still answers after serve returned")
					}
					return
				case <-time.After(100 * time.Millisecond):
				}
				if time.Now().After(stopBy) {
					t.Fatal("serve did not stop on interrupt")
				}
			}
		})
	}
}
