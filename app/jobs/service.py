"""Rules for background jobs: a batch's letters as one merged PDF or a ZIP. A job runs at most a few times:
when a worker dies, its heartbeat stops and the job is queued again; a job that keeps failing is marked failed."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from app.accounts.scope import get_in_scope
from app.attachments.storage import FileStore
from app.audit.service import record
from app.batches.models import Batch, BatchStatus
from app.config import PortalConfig
from app.db import Database, utcnow
from app.jobs.models import Job, JobStatus
from app.letters import bundles

KINDS = {"pdf": "bundle-pdf", "zip": "bundle-zip"}
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=2)


class JobRefused(Exception):
    """The job cannot be made (e.g. a batch still in draft)."""


def create_bundle_job(
    session: Session, batch: Batch, *, fmt: str, actor: Any, ip: str | None = None
) -> tuple[Job, bool]:
    """A bundle job for the batch, or the one already queued or running for it and this format."""
    if fmt not in KINDS:
        raise JobRefused("Pilih PDF gabungan atau ZIP.")
    if batch.status == BatchStatus.DRAFT.value:
        raise JobRefused("Kiriman yang belum dikirim belum punya surat.")
    kind = KINDS[fmt]
    running = session.exec(
        select(Job).where(
            Job.batch_id == batch.id,
            Job.kind == kind,
            Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
        )
    ).first()
    if running is not None:
        return running, False
    job = Job(kind=kind, batch_id=batch.id, village_code=batch.village_code, created_by=getattr(actor, "id", None))  # type: ignore[arg-type]
    session.add(job)
    session.flush()
    record(
        session,
        actor=actor,
        action="job.create",
        object_type="job",
        object_id=job.id,
        region_code=batch.village_code,
        changes={"kind": kind, "batch": batch.number},
        ip=ip,
    )
    session.commit()
    return job, True


def get_job(session: Session, user: Any, job_id: int) -> Job:
    return get_in_scope(session, Job, job_id, user, "village_code")


def latest_jobs(session: Session, batch_id: int) -> list[Job]:
    return list(session.exec(select(Job).where(Job.batch_id == batch_id).order_by(Job.id.desc()).limit(5)))


def _exit_with_parent(parent: int) -> None:
    # A rendering process whose worker was killed (SIGKILL leaves no chance to stop the pool) is adopted by
    # init; it notices within a second and ends instead of living on with its memory.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _worker_init() -> None:
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="exit-with-parent").start()
    with contextlib.suppress(OSError):
        os.nice(10)  # the web server's pages come first
    from app.letters.render import start_rendering_process

    start_rendering_process()  # fonts and stylesheet loaded while the coordinator prepares the letters


PARENT_CHECK_SECONDS = 1.0


def _process_id() -> int:
    return os.getpid()


def make_pool(config: PortalConfig) -> ProcessPoolExecutor | None:
    """The rendering processes, all started and warmed up before returning (a spawn pool otherwise starts its
    processes one at a time as work arrives, each taking a second or two to import and load the fonts)."""
    if config.job_processes < 2:
        return None
    context = multiprocessing.get_context("spawn")  # no fork of a threaded worker
    pool = ProcessPoolExecutor(max_workers=config.job_processes, mp_context=context, initializer=_worker_init)
    started = [pool.submit(_process_id) for _ in range(config.job_processes)]
    for future in started:
        future.result()
    return pool


def run_job(
    db: Database, config: PortalConfig, job_id: int, *, enqueue: Callable[..., Any], pool: Any | None = None
) -> None:
    """Run one job to the end (idempotent: issued letters are reused; a finished job is left alone)."""
    with db.session() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, attempts=Job.attempts + 1, heartbeat_at=utcnow(), error=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not claimed:
            return  # done, failed, or another worker has it
        job = session.get(Job, job_id)
        assert job is not None
        own_pool = pool is None
        pool = pool or make_pool(config)
        try:
            _bundle(session, config, job, pool)
        except Exception as exc:
            session.rollback()
            job = session.get(Job, job_id)
            assert job is not None
            again = job.attempts < MAX_ATTEMPTS
            job.status = JobStatus.QUEUED.value if again else JobStatus.FAILED.value
            job.error = f"{type(exc).__name__}: {exc}"[:500]
            job.finished_at = None if again else utcnow()
            session.add(job)
            session.commit()
            if again:
                enqueue(job_id, delay=5 * job.attempts)
            else:
                raise
        finally:
            if own_pool and pool is not None:
                pool.shutdown()


def _bundle(session: Session, config: PortalConfig, job: Job, pool: Any | None) -> None:
    from app.attachments.controllers import file_store

    store: FileStore = file_store(config)
    batch = session.get(Batch, job.batch_id)
    assert batch is not None
    today = datetime.now(config.tz).date()

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total
        job.progress = int(90 * done / total) if total else 90
        job.heartbeat_at = utcnow()
        session.add(job)
        session.commit()

    bundle = bundles.Bundle("pdf" if job.kind == "bundle-pdf" else "zip", store)
    try:
        bundles.issue_bundle_letters(
            session, config, store, batch, actor=None, today=today, pool=pool, progress=progress, on_block=bundle.add
        )
    except Exception:
        bundle.discard()
        raise
    body = bundle.result()
    name = f"surat-{batch.number}.{bundle.fmt}"
    job.result_sha256, job.result_name = store.put(body), name
    job.status, job.progress, job.finished_at = JobStatus.DONE.value, 100, utcnow()
    session.add(job)
    session.commit()


def requeue_stalled(db: Database, *, enqueue: Callable[..., Any], now: datetime | None = None) -> list[int]:
    """Running jobs whose worker stopped beating (it died) go back to the queue, or fail after the last try."""
    cutoff = (now or utcnow()) - STALE_AFTER
    requeued = []
    with db.session() as session:
        stale = session.exec(select(Job).where(Job.status == JobStatus.RUNNING.value, Job.heartbeat_at < cutoff)).all()
        for job in stale:
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.error, job.finished_at = (
                    JobStatus.FAILED.value,
                    "Pekerja berhenti berulang kali.",
                    utcnow(),
                )
            else:
                job.status = JobStatus.QUEUED.value
                requeued.append(job.id)
            session.add(job)
        session.commit()
    for job_id in requeued:
        enqueue(job_id)
    return requeued  # type: ignore[return-value]
