import queue
import threading

# How long a consumer that stops early waits for the reading thread (it notices within 0.1 s unless a request
# is under way, which it then finishes alone: it writes nothing).
JOIN_SECONDS = 1.0


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


def read_ahead(items):
    """Yield what the iterator ``items`` gives, taking the next one in a thread meanwhile: a page travels
    from IYS while the page before is written. ``items`` must not touch the ORM (it runs in the thread); its
    exceptions are raised here, in order, after the items before them."""
    handoff = queue.SimpleQueue()
    # Released each time the consumer takes an entry: the thread takes the item after the next only then,
    # one item ahead and no more.
    taken = threading.Semaphore(0)
    stop = threading.Event()
    done = object()

    def give(entry):
        """Hand one entry over and wait until the consumer takes it; False once the consumer has stopped."""
        handoff.put(entry)
        while not stop.is_set():
            if taken.acquire(timeout=0.1):
                return True
        return False

    def produce():
        try:
            for item in items:
                if not give((item, None)):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            # BaseException too: a thread that ended without a word would leave the consumer waiting for ever.
            give((done, error))
            return
        give((done, None))

    worker = threading.Thread(target=produce, name="crm_affinity.read_ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = handoff.get()
            taken.release()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=JOIN_SECONDS)
