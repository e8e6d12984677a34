package db

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// SQLite has one writer. Handing it from one goroutine to the next (a
// lock in Go, or SQLite's busy handler) left it idle between transactions
// while the next holder waited to be scheduled, and every transaction paid
// its own BEGIN and COMMIT (the commit writes each page it changed to the
// WAL). So the transactions of this process queue, and one goroutine
// (started when one is queued, gone once none has come for writerLinger)
// runs them back to back:
// alone when only one waits, otherwise up to maxBatch of them in one SQLite
// transaction, each within a savepoint. An error of one undoes its own
// writes (ROLLBACK TO its savepoint) and the others commit; callers learn
// their outcome only once the transaction is committed, so no caller ever
// acts on writes that were not.

// writerLinger is how long the writer's goroutine waits for the next
// transaction before it ends. A goroutine started for every transaction
// that finds the queue empty (most of them, at a few sign-ins a second)
// grows its stack again to SQLite's depth each time: 20 % of such a
// transaction's time (BenchmarkSQLiteTxOneAtATime).
const writerLinger = time.Second

// maxBatch bounds the transactions committed together.
const maxBatch = 32

// writeQueue is SQLite's writer: the transactions waiting for it and
// whether its goroutine runs.
type writeQueue struct {
	mu      sync.Mutex
	jobs    []*txJob
	running bool
	// wake tells the running goroutine, idle, that a transaction was
	// queued (buffered: a wake sent before it waits is not lost).
	wake chan struct{}
	// linger is writerLinger in nanoseconds (shorter in tests).
	linger atomic.Int64
	// waiting counts queued transactions not yet started (WritersWaiting).
	waiting atomic.Int64
}

func newWriteQueue() *writeQueue {
	q := &writeQueue{wake: make(chan struct{}, 1)}
	q.linger.Store(int64(writerLinger))
	return q
}

// States of a txJob.
const (
	jobQueued int32 = iota
	jobStarted
	jobAbandoned // its caller gave up before it started
)

// txJob is one caller's transaction.
type txJob struct {
	ctx   context.Context
	db    *bun.DB // the caller's handle, with its query hooks
	fn    func(ctx context.Context, tx bun.Tx) error
	state atomic.Int32
	done  chan struct{}
	// Set by the writer before done is closed.
	err      error
	panicked bool
	panicVal any
}

// run queues fn and waits for its outcome, at most writerWait (ErrBusy) or
// until ctx ends, as long as it has not started.
func (q *writeQueue) run(ctx context.Context, b *bun.DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &txJob{ctx: ctx, db: b, fn: fn, done: make(chan struct{})}
	q.mu.Lock()
	start := !q.running
	q.running = true
	q.waiting.Add(1)
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	if start {
		go q.loop()
	} else {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	t := time.NewTimer(writerWait)
	defer t.Stop()
	var gaveUp error
	select {
	case <-j.done:
	case <-t.C:
		gaveUp = ErrBusy
	case <-ctx.Done():
		gaveUp = ctx.Err()
	}
	if gaveUp != nil {
		if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
			q.waiting.Add(-1)
			return gaveUp
		}
		// Started already: its outcome comes with the commit.
		<-j.done
	}
	if j.panicked {
		panic(j.panicVal)
	}
	return j.err
}

// loop runs the queued transactions until none has come for q.linger.
func (q *writeQueue) loop() {
	var idle *time.Timer
	for {
		batch := q.next()
		if len(batch) == 0 {
			linger := time.Duration(q.linger.Load())
			if idle == nil {
				idle = time.NewTimer(linger)
			} else {
				idle.Reset(linger)
			}
			select {
			case <-q.wake:
				continue
			case <-idle.C:
			}
			if q.stop() {
				return
			}
			continue
		}
		if len(batch) == 1 {
			runAlone(batch[0])
		} else {
			runTogether(batch)
		}
	}
}

// next takes the transactions to run now: the first queued one and those
// after it with the same handle, at most maxBatch. It marks the queue idle
// when nothing is left.
func (q *writeQueue) next() []*txJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	var batch []*txJob
	i := 0
	for ; i < len(q.jobs) && len(batch) < maxBatch; i++ {
		j := q.jobs[i]
		if len(batch) > 0 && j.db != batch[0].db {
			break
		}
		if j.state.CompareAndSwap(jobQueued, jobStarted) {
			q.waiting.Add(-1)
			batch = append(batch, j)
		}
	}
	clear(q.jobs[:i])
	q.jobs = q.jobs[i:]
	if len(q.jobs) == 0 {
		q.jobs = nil
	}
	return batch
}

// stop marks the queue idle and reports true when nothing is queued.
func (q *writeQueue) stop() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) > 0 {
		return false
	}
	q.running = false
	return true
}

// call runs j.fn, turning a panic into j's outcome.
func call(j *txJob, ctx context.Context, tx bun.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			j.panicked, j.panicVal = true, v
			err = fmt.Errorf("transaction panicked: %v", v)
		}
	}()
	return j.fn(ctx, tx)
}

// runAlone runs j in a transaction of its own, as the caller would have:
// its context ends it.
func runAlone(j *txJob) {
	defer close(j.done)
	j.err = j.db.RunInTx(j.ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return call(j, ctx, tx)
	})
}

// runTogether runs batch in one transaction, each job within a savepoint.
// The jobs' contexts keep their values but cannot cancel their statements:
// SQLite answers an interrupted write by rolling back the whole
// transaction, the other jobs' writes too.
func runTogether(batch []*txJob) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	bg := context.WithoutCancel(batch[0].ctx)
	tx, err := batch[0].db.BeginTx(bg, nil)
	if err != nil {
		for _, j := range batch {
			j.err = err
		}
		return
	}
	// broken: the transaction can no longer be trusted (a savepoint
	// statement failed, e.g. SQLite rolled it back by itself): nothing
	// more runs and nothing commits.
	var broken error
	exec := func(query string) error {
		if _, err := tx.Tx.ExecContext(bg, query); err != nil {
			return fmt.Errorf("%s: %w", query, err)
		}
		return nil
	}
	for _, j := range batch {
		if broken = exec("SAVEPOINT twofold_tx"); broken != nil {
			break
		}
		if err := call(j, context.WithoutCancel(j.ctx), tx); err != nil {
			j.err = err
			if broken = exec("ROLLBACK TO twofold_tx"); broken != nil {
				break
			}
		}
		if broken = exec("RELEASE twofold_tx"); broken != nil {
			break
		}
	}
	if broken == nil {
		broken = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if broken == nil {
		return
	}
	for _, j := range batch {
		// Jobs that failed on their own keep their error; the others (run
		// or not) learn that nothing of theirs was committed.
		if j.err == nil {
			j.err = fmt.Errorf("transaction not committed: %w", broken)
		}
	}
}
