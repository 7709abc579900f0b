package web

import (
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/openid"
)

// Wrong owner tokens: more than tokenFailures a minute from one address
// and that address is refused for tokenLockout, the right token included,
// so a guess that lands after the limit is worth nothing.
const (
	tokenFailures = 20
	tokenLockout  = 15 * time.Minute
)

// MinTokenLength is the shortest owner token serve accepts.
const MinTokenLength = 32

// Server is the network face of Grantbook: the API behind a bearer token,
// and the frontend files.
type Server struct {
	api    *API
	owner  *OwnerToken
	public map[string]bool // "METHOD pattern" of routes open without the owner's token
	// mux routes the API once: each route checks its own access first
	// (guard), then runs the API's handler.
	mux *http.ServeMux
	// exact are the routes of one method and a literal path, by path: a
	// request for exactly that method and path is theirs whatever else
	// is registered, so it skips the mux's look-up.
	exact  map[string][]exactRoute
	static http.Handler
	// failures counts wrong owner tokens per client address.
	failures *limiter
	proxies  proxies
	hosts    hosts
	assets   fs.FS
	// contactsOnly: the client area's published face (ContactsOnly).
	contactsOnly bool
	// oidc is the OpenID Connect provider (nil: not served).
	oidc      *openid.Provider
	oidcLimit *limiter
}

// securityHeaderList goes on every answer. Keys are in canonical form and
// the values shared: set as they are, they cost no work per request (a
// later Add would copy, as the slices are full).
var securityHeaderList = []struct {
	k string
	v []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}},
}

// Option configures a Server.
type Option func(*Server)

// WithHosts adds names the server answers for, besides loopback.
func WithHosts(names ...string) Option {
	return func(s *Server) {
		for _, n := range names {
			s.hosts[HostName(n)] = true
		}
	}
}

// WithTrustedProxies names the proxies whose X-Forwarded-For and
// X-Forwarded-Proto are believed.
func WithTrustedProxies(p ...netip.Prefix) Option {
	return func(s *Server) { s.proxies = append(s.proxies, p...) }
}

// NewServer wraps api with a fixed token and serves the frontend from
// assets (an fs whose root holds index.html).
func NewServer(api *API, assets fs.FS, token string, opts ...Option) *Server {
	return NewServerWithToken(api, assets, FixedToken(token), opts...)
}

// NewServerWithToken is NewServer with an owner token that may be stored
// and rotated. The API gets it too, for its token routes.
func NewServerWithToken(api *API, assets fs.FS, owner *OwnerToken, opts ...Option) *Server {
	api.owner = owner
	s := &Server{api: api, owner: owner, public: map[string]bool{}, hosts: hosts{},
		failures: newLimiter(tokenFailures, time.Minute)}
	s.failures.lockout = tokenLockout
	for _, o := range opts {
		o(s)
	}
	s.mux, s.exact = http.NewServeMux(), map[string][]exactRoute{}
	for _, r := range api.served {
		if r.Auth != Owner {
			s.public[r.Pattern] = true
		}
		h := s.guard(r.Pattern, r.Handler)
		s.mux.HandleFunc(r.Pattern, h)
		if method, path, ok := literalPattern(r.Pattern); ok {
			s.exact[path] = append(s.exact[path], exactRoute{method, r.Pattern, h})
		}
	}
	s.mux.HandleFunc("/api/", s.guard("/api/", api.noRoute))
	s.static, s.assets = spa(assets), assets
	return s
}

// guard puts the server's checks of a route before its handler: the
// owner's token (and the hub's refusals) for owner routes, the hub's
// refusals of the client area's writes for the others.
func (s *Server) guard(pattern string, h http.HandlerFunc) http.HandlerFunc {
	if s.public[pattern] {
		return func(w http.ResponseWriter, r *http.Request) {
			if !s.hubRefusesPortal(w, r, pattern) {
				h(w, r)
			}
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if s.ownerOnly(w, r) && !s.hubRefuses(w, r, pattern) {
			h(w, r)
		}
	}
}

// securityHeaders sets the fixed headers of every answer, pages and API
// alike.
func securityHeaders(h http.Header) {
	for _, kv := range securityHeaderList {
		h[kv.k] = kv.v
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	securityHeaders(h)
	// A site's proxy forwards these with the site's host: each handler
	// finds the site by it and refuses any other.
	if h := s.sitePaths(r); h != nil {
		h(w, withClient(r, s.proxies.resolve(r)))
		return
	}
	if !s.hosts.allows(r.Host) && !s.isAreaHost(r.Host) {
		writeError(w, http.StatusMisdirectedRequest, &core.Error{Code: core.CodeMisdirected, Message: "this Grantbook answers only for " +
			"localhost, the names it was started with (--host, --domain) and the client area's address (Settings): " +
			strconv.Quote(r.Host) + " is not one of them"})
		return
	}
	c := s.proxies.resolve(r)
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, hub.WSPath) && !s.contactsOnly:
		s.syncSocket(w, withClient(r, c))
	case p == "/auth/signin":
		s.siteSignin(w, withClient(r, c))
	case openid.Serves(p):
		s.openID(w, withClient(r, c))
	case s.contactsOnly && s.notForContacts(w, r):
	case !strings.HasPrefix(p, "/api/"):
		s.static.ServeHTTP(w, withClient(r, c))
	case r.Method != http.MethodConnect && cleanPath(p) != p:
		s.redirectChecked(w, withClient(r, c))
	default:
		// One context for the client and the actor, one route look-up.
		r = r.WithContext(core.WithActorValue(r.Context(), "owner (web)", clientKey{}, c))
		if h := s.exactRoute(r); h != nil {
			h(w, r)
			return
		}
		s.mux.ServeHTTP(w, r)
	}
}

// An exactRoute is a route whose pattern is one method and a literal path.
type exactRoute struct {
	method, pattern string
	h               http.HandlerFunc
}

// literalPattern splits "METHOD /path" when the path has no wildcard and
// no trailing slash (a pattern the mux matches only exactly), and no host.
func literalPattern(p string) (method, path string, ok bool) {
	method, path, ok = strings.Cut(p, " ")
	ok = ok && method != "" && strings.HasPrefix(path, "/") && !strings.ContainsAny(path, "{}") &&
		!strings.HasSuffix(path, "/") && cleanPath(path) == path
	return method, path, ok
}

// exactRoute is the handler of r's route when its pattern is r's method
// and exactly r's path, as the mux would choose it (no pattern is more
// specific than a literal path with its method; HEAD, CONNECT, escaped
// paths and the rest go through the mux), with r.Pattern set as the mux
// sets it.
func (s *Server) exactRoute(r *http.Request) http.HandlerFunc {
	if r.URL.RawPath != "" || r.Method == http.MethodConnect {
		return nil
	}
	for _, e := range s.exact[r.URL.Path] {
		if e.method == r.Method {
			r.Pattern = e.pattern
			return e.h
		}
	}
	return nil
}

// redirectChecked answers an API path that is not clean (net/http's
// redirect to the clean path) after the checks of the route it leads to,
// as for any other request to that route.
func (s *Server) redirectChecked(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.api.mux.Handler(r)
	s.guard(pattern, s.api.ServeHTTP)(w, r.WithContext(core.WithActor(r.Context(), "owner (web)")))
}

// cleanPath is p as net/http's ServeMux cleans it before routing.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// sitePaths are the paths served on a site's host, through its proxy.
func (s *Server) sitePaths(r *http.Request) http.HandlerFunc {
	if r.URL.Path == "/auth/verify" {
		return s.verify // any method: some proxies ask with the original one
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil
	}
	switch r.URL.Path {
	case "/_grantbook/start":
		return s.siteStart
	case "/_grantbook/callback":
		return s.siteCallback
	case "/_grantbook/signout":
		return s.siteSignout
	}
	return nil
}

// isAreaHost tells whether hostport names the client area's address, which
// the owner may set or change while serve runs.
func (s *Server) isAreaHost(hostport string) bool {
	h := s.api.app.ClientAreaHost()
	return h != "" && h == HostName(hostport)
}

// ownerOnly lets a request with the owner's token through. An address that
// sent too many wrong tokens is refused whatever it sends.
func (s *Server) ownerOnly(w http.ResponseWriter, r *http.Request) bool {
	ip := clientIP(r)
	if wait := s.failures.blocked(ip); wait > 0 {
		s.tooMany(w, wait)
		return false
	}
	if s.authorized(r) {
		return true
	}
	if !s.failures.allow(ip) {
		s.tooMany(w, s.failures.blocked(ip))
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="grantbook"`)
	writeError(w, http.StatusUnauthorized, &core.Error{Code: core.CodeUnauthorized, Message: "missing or wrong access token"})
	return false
}

func (s *Server) tooMany(w http.ResponseWriter, wait time.Duration) {
	mins := int(math.Ceil(wait.Minutes()))
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, &core.Error{Code: core.CodeRateLimited,
		Message: fmt.Sprintf("too many wrong access tokens from this address: try again in %d minute(s)", mins)})
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.owner.matches(strings.TrimSpace(got))
}

// spa serves files from assets and index.html for any other path, so the
// frontend's own routes survive a reload.
func spa(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p != "" {
			if st, err := fs.Stat(assets, p); err != nil || st.IsDir() {
				r = r.Clone(r.Context())
				r.URL.Path = "/"
			}
		}
		files.ServeHTTP(w, r)
	})
}
