// Package casbin puts Grantbook's access.Evaluate side by side with Casbin
// answering the same questions about the same grants (bench/evalfixture):
// 10,000 contacts × 20 services. It is its own module so that the product
// does not depend on Casbin. Run from this directory:
//
//	go test -run . -bench . -benchmem -cpu 1
//
// Two Casbin models, both RBAC with domains where the subject is the
// contact, the domain the service ("a1/s101", or "a1/none" for an item of
// the account that concerns no service) and the action the permission:
//
//   - roles: a contact has its preset as a role in each domain it covers
//     (a grant on all services covers the account's 20 services and
//     "a1/none"); p lines give each preset its actions; a custom grant gets
//     one role per action ("act:services.view"). Actions not tied to a
//     service are granted through a second role ("<preset>#any") in every
//     domain of the account.
//   - perms: the action itself is the role (g, contact, action, domain), so
//     the single p line never needs scanning: the fastest layout we found.
//
// Domains are listed explicitly: Casbin's domain pattern matching
// (AddNamedDomainMatchingFunc with keyMatch and "a1/*") was tried first and
// took far more than 100 ms a check at this size (see docs/benchmarks.md).
// Status and expiry have no place in a static policy: suspended, invited
// and expired contacts simply have no lines (what a Casbin user would
// do, re-writing the policy as time passes). TestSameDecisions checks that
// 4,096 of the checks (every 16th) get the same answer from all three.
package casbin

import (
	"fmt"
	"sync"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"grantbook/backend/access"
	gbmodel "grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/bench/evalfixture"
)

const rolesModel = `
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.act == p.act
`

const permsModel = `
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, r.act, r.dom)
`

func dom(s access.Service) string {
	switch {
	case s.None:
		return fmt.Sprintf("a%d/none", s.AccountID)
	default:
		return fmt.Sprintf("a%d/s%d", s.AccountID, s.ID)
	}
}

// request is a check as Casbin strings, made once outside the timed loop.
type request struct{ sub, dom, act string }

type world struct {
	d        *evalfixture.Data
	reqs     []request
	roles    *casbin.Enforcer
	perms    *casbin.Enforcer
	policies map[string][2]int // model → p lines, g lines
}

var (
	once sync.Once
	w    *world
)

func load(tb testing.TB) *world {
	once.Do(func() {
		w = &world{d: evalfixture.New(1), policies: map[string][2]int{}}
		for _, ck := range w.d.Checks {
			w.reqs = append(w.reqs, request{fmt.Sprint("c", ck.Contact+1), dom(ck.Service), ck.Perm.String()})
		}
		var err error
		if w.roles, err = enforcer(rolesModel, w.d, rolesPolicy); err == nil {
			w.perms, err = enforcer(permsModel, w.d, permsPolicy)
		}
		if err != nil {
			panic(err)
		}
		w.policies["roles"] = [2]int{len(must(w.roles.GetPolicy())), len(must(w.roles.GetGroupingPolicy()))}
		w.policies["perms"] = [2]int{len(must(w.perms.GetPolicy())), len(must(w.perms.GetGroupingPolicy()))}
	})
	return w
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// active reports whether a contact's grant can allow anything now.
func active(c *gbmodel.Contact) bool {
	return c.Status == gbmodel.StatusActive && (c.Grant.ExpiresAt == nil || evalfixture.Now.Before(*c.Grant.ExpiresAt))
}

func split(c *gbmodel.Contact) (all, unscoped permission.Set) {
	all, _ = permission.Parse(c.Grant.Permissions)
	for p := range permission.All() {
		if all.Has(permission.Permission(p)) && !permission.Permission(p).Info().ServiceScoped {
			unscoped = unscoped.With(permission.Permission(p))
		}
	}
	return all, unscoped
}

// domains lists what a contact's grant covers: for all services, every
// service of the account and "none"; else the selected services.
func domains(c *gbmodel.Contact, all bool) []string {
	if all {
		out := []string{fmt.Sprintf("a%d/none", c.AccountID)}
		for i := range evalfixture.Services {
			out = append(out, fmt.Sprintf("a%d/s%d", c.AccountID, evalfixture.ServiceID(i)))
		}
		return out
	}
	var out []string
	for _, s := range c.Grant.ServiceIDs {
		out = append(out, fmt.Sprintf("a%d/s%d", c.AccountID, s))
	}
	return out
}

func rolesPolicy(d *evalfixture.Data) (p, g [][]string) {
	roles := map[string]bool{}
	role := func(name string, s permission.Set) string {
		if !roles[name] {
			roles[name] = true
			for _, n := range s.Names() {
				p = append(p, []string{name, n})
			}
		}
		return name
	}
	for _, c := range d.Contacts {
		if !active(c) {
			continue
		}
		sub := fmt.Sprint("c", c.ID)
		all, unscoped := split(c)
		var scopedRoles, anyRoles []string
		if c.Grant.Preset == permission.PresetCustom {
			for _, n := range all.Names() {
				perm, _ := permission.Lookup(n)
				r := role("act:"+n, permission.Set(0).With(perm))
				if unscoped.Has(perm) {
					anyRoles = append(anyRoles, r)
				} else {
					scopedRoles = append(scopedRoles, r)
				}
			}
		} else {
			scopedRoles = append(scopedRoles, role(c.Grant.Preset, all))
			if unscoped != 0 {
				anyRoles = append(anyRoles, role(c.Grant.Preset+"#any", unscoped))
			}
		}
		for _, dm := range domains(c, c.Grant.AllServices) {
			for _, r := range scopedRoles {
				g = append(g, []string{sub, r, dm})
			}
		}
		for _, dm := range domains(c, true) {
			for _, r := range anyRoles {
				g = append(g, []string{sub, r, dm})
			}
		}
	}
	return p, g
}

func permsPolicy(d *evalfixture.Data) (p, g [][]string) {
	p = [][]string{{"any"}}
	for _, c := range d.Contacts {
		if !active(c) {
			continue
		}
		sub := fmt.Sprint("c", c.ID)
		all, unscoped := split(c)
		for _, n := range all.Names() {
			perm, _ := permission.Lookup(n)
			for _, dm := range domains(c, c.Grant.AllServices || unscoped.Has(perm)) {
				g = append(g, []string{sub, n, dm})
			}
		}
	}
	return p, g
}

func enforcer(text string, d *evalfixture.Data, policy func(*evalfixture.Data) (p, g [][]string)) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(text)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	p, g := policy(d)
	if _, err := e.AddPolicies(p); err != nil {
		return nil, err
	}
	if _, err := e.AddGroupingPolicies(g); err != nil {
		return nil, err
	}
	return e, nil
}

func TestSameDecisions(t *testing.T) {
	w := load(t)
	now := evalfixture.Now.Unix()
	for name, counts := range w.policies {
		t.Logf("casbin %s model: %d p lines, %d g lines", name, counts[0], counts[1])
	}
	differ := 0
	for i, ck := range w.d.Checks {
		if i%16 != 0 {
			continue
		}
		want := access.Evaluate(&w.d.Grants[ck.Contact], ck.Perm, ck.Service, now).Allowed
		rq := w.reqs[i]
		for name, e := range map[string]*casbin.Enforcer{"roles": w.roles, "perms": w.perms} {
			got, err := e.Enforce(rq.sub, rq.dom, rq.act)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				if differ++; differ < 10 {
					t.Errorf("check %d (%s %s %s): casbin %s says %v, Grantbook %v", i, rq.sub, rq.dom, rq.act, name, got, want)
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d answers differ", differ)
	}
}

var sink bool

func BenchmarkGrantbook(b *testing.B) {
	w := load(b)
	now := evalfixture.Now.Unix()
	mask := len(w.d.Checks) - 1
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ck := &w.d.Checks[i&mask]
		sink = access.Evaluate(&w.d.Grants[ck.Contact], ck.Perm, ck.Service, now).Allowed
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

func benchCasbin(b *testing.B, e func(w *world) *casbin.Enforcer) {
	w := load(b)
	enf := e(w)
	mask := len(w.reqs) - 1
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rq := &w.reqs[i&mask]
		ok, err := enf.Enforce(rq.sub, rq.dom, rq.act)
		if err != nil {
			b.Fatal(err)
		}
		sink = ok
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

func BenchmarkCasbinRoles(b *testing.B) {
	benchCasbin(b, func(w *world) *casbin.Enforcer { return w.roles })
}
func BenchmarkCasbinPerms(b *testing.B) {
	benchCasbin(b, func(w *world) *casbin.Enforcer { return w.perms })
}
