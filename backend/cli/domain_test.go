package cli_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refusal is serve arguments that must fail with msg before anything
// starts: no data folder, no listener, no request to a CA.
type refusal struct {
	args []string
	msg  string
}

func checkRefused(t *testing.T, cases []refusal) {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	for _, tc := range cases {
		dir := filepath.Join(t.TempDir(), "data")
		code, out, errs := run(t, noDesktop(t), append([]string{"serve", "--data-dir", dir}, tc.args...)...)
		if code != 1 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%q: code %d stderr %q, want 1 and %q", tc.args, code, errs, tc.msg)
		}
		if strings.Contains(out, "serving on") {
			t.Errorf("%q: claimed to serve: %q", tc.args, out)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%q: the data folder was created before the arguments were checked", tc.args)
		}
	}
}

func TestServeDomainRefusesBadSetups(t *testing.T) {
	const name = "portal.example.com"
	checkRefused(t, []refusal{
		{[]string{"--domain", "192.0.2.1"}, "IP address"},
		{[]string{"--domain", "*.example.com"}, "wildcard"},
		{[]string{"--domain", "https://portal.example.com/"}, "bare name"},
		{[]string{"--domain", "portal.example.com:8443"}, "bare name"},
		{[]string{"--domain", "localhost"}, "two parts"},
		{[]string{"--domain", " , "}, "give the public name"},
		{[]string{"--domain", name, "--addr", "127.0.0.1:0"}, "--addr does not go with --domain"},
		{[]string{"--domain", name, "--tls-cert", "c.pem", "--tls-key", "k.pem"}, "--tls-cert does not go with --domain"},
		{[]string{"--acme-ca", "https://ca.example/dir"}, "--acme-ca needs --domain"},
		{[]string{"--https-addr", ":8443"}, "--https-addr needs --domain"},
		{[]string{"--domain", name, "--acme-ca", "http://ca.example/dir"}, "https:// URL"},
		{[]string{"--domain", name, "--acme-root", "/nonexistent/ca.pem"}, "reading --acme-root"},
		{[]string{"--domain", name, "--acme-email", "not an address"}, "not an email address"},
		{[]string{"--domain", name, "--https-addr", "443"}, "--https-addr"},
	})
	// An --acme-root that is not PEM.
	junk := filepath.Join(t.TempDir(), "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	if code, _, errs := run(t, noDesktop(t), "serve", "--domain", name, "--acme-root", junk, "--data-dir", t.TempDir()); code != 1 || !strings.Contains(errs, "no PEM certificate") {
		t.Errorf("junk --acme-root: code %d stderr %q", code, errs)
	}
}
