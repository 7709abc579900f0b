package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"time"
)

// importKeep is how long a finished import stays known.
const importKeep = time.Hour

// imports is the app's registry of CSV import jobs, in memory: a restart
// forgets them. It reads the app's clock, and Close cancels the running
// jobs and waits for them before the database closes.
type imports struct {
	now func() time.Time

	mu   sync.Mutex
	jobs map[string]*importJob
	// run lets one import write at a time: each holds the write lock for
	// its whole transaction.
	run sync.Mutex

	ctx    context.Context // the jobs' context, cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newImports(now func() time.Time) *imports {
	ctx, cancel := context.WithCancel(context.Background())
	return &imports{now: now, jobs: map[string]*importJob{}, ctx: ctx, cancel: cancel}
}

// stop cancels the running imports and waits until they have finished.
func (r *imports) stop() {
	r.cancel()
	r.wg.Wait()
}

// importJob is one import: its progress, guarded by mu.
type importJob struct {
	now      func() time.Time
	mu       sync.Mutex
	p        ImportProgress
	finished time.Time
}

func (r *imports) newJob(accountID int64) *importJob {
	return &importJob{now: r.now, p: ImportProgress{AccountID: accountID, State: ImportRunning, Errors: []RowError{}}}
}

func (j *importJob) snapshot() ImportProgress {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.p
	p.Errors = append([]RowError{}, j.p.Errors...)
	p.Changes = append([]RowChange{}, j.p.Changes...)
	return p
}

func (j *importJob) update(fn func(p *ImportProgress)) {
	j.mu.Lock()
	fn(&j.p)
	if j.p.State != ImportRunning && j.finished.IsZero() {
		j.finished = j.now()
	}
	j.mu.Unlock()
}

func (j *importJob) rowError(line int, msg string) {
	j.update(func(p *ImportProgress) {
		p.ErrorCount++
		if len(p.Errors) < MaxImportErrors {
			p.Errors = append(p.Errors, RowError{Line: line, Message: msg})
		}
	})
}

// add registers a new job under a random id, dropping the jobs that
// finished more than importKeep ago.
func (r *imports) add(accountID int64) *importJob {
	b := make([]byte, 12)
	rand.Read(b)
	job := r.newJob(accountID)
	job.p.ID = hex.EncodeToString(b)
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, j := range r.jobs {
		j.mu.Lock()
		old := !j.finished.IsZero() && now.Sub(j.finished) > importKeep
		j.mu.Unlock()
		if old {
			delete(r.jobs, id)
		}
	}
	r.jobs[job.p.ID] = job
	return job
}

// StartImport checks the account and runs the import of data in the
// background; ImportStatus reports on it by the returned job id. The job
// outlives the request but not the app: Close cancels it.
func (a *App) StartImport(ctx context.Context, accountID int64, data []byte) (string, error) {
	return a.StartImportWith(ctx, accountID, data, ImportOptions{})
}

// StartImportWith is StartImport with a mode and, maybe, as a dry run.
func (a *App) StartImportWith(ctx context.Context, accountID int64, data []byte, opts ImportOptions) (string, error) {
	opts, err := opts.check()
	if err != nil {
		return "", err
	}
	if _, err := a.Account(ctx, accountID); err != nil {
		return "", err
	}
	job := a.imports.add(accountID)
	// The request's values (the actor) without its deadline, under the app's
	// own cancellation.
	jobCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(a.imports.ctx, cancel)
	a.imports.wg.Add(1)
	go func() {
		defer a.imports.wg.Done()
		defer stop()
		defer cancel()
		err := a.runImport(jobCtx, job, accountID, data, opts)
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			a.log.Info("contact import stopped: Grantbook is closing", "job", job.p.ID, "account", accountID)
		case err != nil:
			a.log.Error("contact import failed", "job", job.p.ID, "account", accountID, "err", err)
		}
	}()
	return job.p.ID, nil
}

// ImportStatus reports on an import started by StartImport.
func (a *App) ImportStatus(id string) (ImportProgress, error) {
	a.imports.mu.Lock()
	job, ok := a.imports.jobs[id]
	a.imports.mu.Unlock()
	if !ok {
		return ImportProgress{}, &Error{Code: CodeNotFound, Message: "import " + strconv.Quote(id) + " not found (imports are forgotten when Grantbook restarts)"}
	}
	return job.snapshot(), nil
}

// change records what the import does with a row (the first MaxImportChanges).
func (j *importJob) change(ch RowChange) {
	j.update(func(p *ImportProgress) {
		if len(p.Changes) < MaxImportChanges {
			p.Changes = append(p.Changes, ch)
		}
	})
}
