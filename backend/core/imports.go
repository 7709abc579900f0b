package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
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

	limit atomic.Int64 // the largest file, in bytes
	sweep sync.Once    // empties the spool folder once
}

func newImports(now func() time.Time) *imports {
	ctx, cancel := context.WithCancel(context.Background())
	r := &imports{now: now, jobs: map[string]*importJob{}, ctx: ctx, cancel: cancel}
	r.limit.Store(DefaultImportLimit)
	return r
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
	// changesFull: MaxImportChanges are recorded, the rest need no lock.
	changesFull atomic.Bool
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
	return a.startImport(ctx, accountID, bytesSource(data), opts, func() {}), nil
}

// StartImportFrom copies body to a file in the data folder, at most
// ImportLimit bytes of it (CodeTooLarge past that), and imports the file in
// the background as StartImport does; the file goes when the job ends.
// Memory stays flat however large the file.
func (a *App) StartImportFrom(ctx context.Context, accountID int64, body io.Reader) (string, error) {
	return a.StartImportFromWith(ctx, accountID, body, ImportOptions{})
}

// StartImportFromWith is StartImportFrom with a mode and, maybe, as a dry
// run; the options are checked before the upload is read.
func (a *App) StartImportFromWith(ctx context.Context, accountID int64, body io.Reader, opts ImportOptions) (string, error) {
	opts, err := opts.check()
	if err != nil {
		return "", err
	}
	if _, err := a.Account(ctx, accountID); err != nil {
		return "", err
	}
	name, err := a.spoolImport(body)
	if err != nil {
		return "", err
	}
	return a.startImport(ctx, accountID, fileSource(name), opts, func() { os.Remove(name) }), nil
}

// SetImportLimit sets the largest CSV file an import takes, in bytes
// (DefaultImportLimit until set; serve --import-limit).
func (a *App) SetImportLimit(n int64) { a.imports.limit.Store(n) }

// ImportLimit is the largest CSV file an import takes, in bytes.
func (a *App) ImportLimit() int64 { return a.imports.limit.Load() }

// ErrImportTooLarge answers a file over the import limit.
func (a *App) ErrImportTooLarge() *Error {
	return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("the file is too large: %d MiB at most", a.ImportLimit()>>20)}
}

// spoolDir holds uploads being imported; what a crash left there goes at
// the first import after a start.
const spoolDir = "imports"

func (a *App) spoolImport(body io.Reader) (string, error) {
	dir := filepath.Join(a.dataDir, spoolDir)
	if a.dataDir == "" {
		dir = filepath.Join(os.TempDir(), "grantbook-"+spoolDir)
	}
	a.imports.sweep.Do(func() { os.RemoveAll(dir) })
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	f, err := os.CreateTemp(dir, "upload-*.csv")
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	limit := a.ImportLimit()
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		os.Remove(f.Name())
		return "", &Error{Code: CodeBadRequest, Message: "the file could not be read: " + err.Error()}
	case n > limit:
		os.Remove(f.Name())
		return "", a.ErrImportTooLarge()
	}
	return f.Name(), nil
}

// startImport runs the import of src as a job; done runs when it ends.
func (a *App) startImport(ctx context.Context, accountID int64, src importSource, opts ImportOptions, done func()) string {
	job := a.imports.add(accountID)
	// The request's values (the actor) without its deadline, under the app's
	// own cancellation.
	jobCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(a.imports.ctx, cancel)
	a.imports.wg.Add(1)
	go func() {
		defer a.imports.wg.Done()
		defer done()
		defer stop()
		defer cancel()
		err := a.runImport(jobCtx, job, accountID, src, opts)
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			a.log.Info("contact import stopped: Grantbook is closing", "job", job.p.ID, "account", accountID)
		case err != nil:
			a.log.Error("contact import failed", "job", job.p.ID, "account", accountID, "err", err)
		}
	}()
	return job.p.ID
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
	if j.changesFull.Load() {
		return
	}
	j.update(func(p *ImportProgress) {
		if len(p.Changes) < MaxImportChanges {
			p.Changes = append(p.Changes, ch)
		}
		j.changesFull.Store(len(p.Changes) >= MaxImportChanges)
	})
}
