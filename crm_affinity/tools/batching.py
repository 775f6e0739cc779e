import threading


def is_testing():
    """Tests run inside one transaction that must never be committed."""
    return getattr(threading.current_thread(), "testing", False)


def process_in_batches(records, method, batch_size=5000):
    """Call ``method`` on slices of ``records``, reporting cron progress after each one.

    Each batch is committed outside tests so that a crash or a timeout keeps the finished
    batches and the next cron run only does what is left.
    """
    cron = records.env["ir.cron"]
    total = len(records)
    done = 0
    for offset in range(0, total, batch_size):
        batch = records[offset : offset + batch_size]
        method(batch)
        records.env.flush_all()
        done += len(batch)
        cron._notify_progress(done=done, remaining=total - done)
        if not is_testing():
            # Commit per batch: a later failure must not roll back work already done.
            records.env.cr.commit()
    return done


def commit_unless_testing(env):
    """Commit what a sync step did, so a crash later in the run never repeats or loses it."""
    env.flush_all()
    if not is_testing():
        # Outside tests only: the test transaction is rolled back as a whole.
        env.cr.commit()
