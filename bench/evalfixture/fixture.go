// Package evalfixture builds the data of the evaluation benchmarks: 10,000
// contacts of one account with 20 services, grants of every kind, and a
// fixed stream of checks. bench/evaluate and bench/casbin use the same one,
// so both sides answer exactly the same questions.
package evalfixture

import (
	"math/rand/v2"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// Sizes of the benchmark.
const (
	Contacts  = 10_000
	Services  = 20
	AccountID = 1
	Checks    = 1 << 16 // the check stream is this long and repeats
)

// Now is the instant every check is made at.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// ServiceID is the id of service i (0-based): 101..120.
func ServiceID(i int) int64 { return int64(101 + i) }

// Check is one question: may contact C do P on service S?
type Check struct {
	Contact int // index into Data.Contacts and Data.Grants
	Perm    permission.Permission
	Service access.Service
}

// Data is the benchmark's world.
type Data struct {
	Contacts []*model.Contact
	Grants   []access.Grant // compiled from Contacts, same order
	Checks   []Check
}

// New builds the data; the same seed gives the same data.
func New(seed uint64) *Data {
	r := rand.New(rand.NewPCG(seed, 1))
	d := &Data{}
	presets := []string{permission.PresetFull, permission.PresetPersonal, permission.PresetTechnical, permission.PresetBilling, permission.PresetCustom}
	all := permission.All()
	for i := range Contacts {
		c := &model.Contact{ID: int64(i + 1), AccountID: AccountID, Status: model.StatusActive}
		switch x := r.IntN(100); {
		case x < 5:
			c.Status = model.StatusSuspended
		case x < 10:
			c.Status = model.StatusInvited
		}
		p := presets[r.IntN(len(presets))]
		c.Grant.Preset = p
		if p == permission.PresetCustom {
			var s permission.Set
			for range 1 + r.IntN(5) {
				s = s.With(permission.Permission(r.IntN(len(all))))
			}
			c.Grant.Permissions = s.Names()
		} else {
			pr, _ := permission.LookupPreset(p)
			c.Grant.Permissions = pr.Set.Names()
		}
		c.Grant.AllServices = r.IntN(10) < 7
		if !c.Grant.AllServices {
			for _, k := range r.Perm(Services)[:1+r.IntN(5)] {
				c.Grant.ServiceIDs = append(c.Grant.ServiceIDs, ServiceID(k))
			}
		}
		if r.IntN(10) == 0 { // one in ten expires, half of those already
			t := Now.AddDate(0, 0, r.IntN(60)-30)
			c.Grant.ExpiresAt = &t
		}
		g, err := access.Compile(c)
		if err != nil {
			panic(err)
		}
		d.Contacts = append(d.Contacts, c)
		d.Grants = append(d.Grants, g)
	}
	for range Checks {
		ck := Check{Contact: r.IntN(Contacts), Perm: permission.Permission(r.IntN(len(all)))}
		switch x := r.IntN(100); {
		case x < 2: // a service of another account
			ck.Service = access.Service{ID: 999, AccountID: 2}
		case x < 5: // something of the account that concerns no service
			ck.Service = access.NoService(AccountID)
		default:
			ck.Service = access.Service{ID: ServiceID(r.IntN(Services)), AccountID: AccountID}
		}
		d.Checks = append(d.Checks, ck)
	}
	return d
}
