"""The job queue: huey, with its SQLite storage in the data dir by default (one machine: nothing else to run
but `litestar portal worker`) or Redis when ``PORTAL_REDIS_URL`` is set (several servers).

Why huey: of SAQ, huey and procrastinate only huey has an embedded mode (SQLite) for the default set-up as
well as a Redis backend; procrastinate needs PostgreSQL and SAQ needs Redis or PostgreSQL. huey does not
notice a worker that dies mid-job, so the job row carries a heartbeat and a periodic task queues jobs whose
heartbeat stopped again (app/jobs/service.py)."""

from __future__ import annotations

from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from app.config import PortalConfig
from app.db import Database


class JobQueue:
    def __init__(self, config: PortalConfig, db: Database) -> None:
        self.config, self.db = config, db
        if config.redis_url:
            self.huey: Huey = RedisHuey("pelaku-para-dewi", url=config.redis_url)
        else:
            config.data_dir.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey("pelaku-para-dewi", filename=str(config.data_dir / "jobs.sqlite3"))
        self._pool: Any = None
        self._run = self.huey.task(name="portal.run_job")(self._run_job)
        self.huey.periodic_task(crontab(minute="*"), name="portal.requeue_stalled")(self._requeue)

    def _run_job(self, job_id: int) -> None:
        from app.jobs.service import run_job

        run_job(self.db, self.config, job_id, enqueue=self.enqueue, pool=self.pool())

    def pool(self) -> Any:
        """The worker's rendering processes, started once and kept (starting them costs about two seconds)."""
        if self._pool is None or getattr(self._pool, "_broken", False):  # a rendering process died: start anew
            from app.jobs.service import make_pool

            self._pool = make_pool(self.config)
        return self._pool

    def _requeue(self) -> None:
        from app.jobs.service import requeue_stalled

        requeue_stalled(self.db, enqueue=self.enqueue)

    def enqueue(self, job_id: int, delay: int | None = None) -> Any:
        return self._run.schedule((job_id,), delay=delay) if delay else self._run(job_id)

    def consumer(self, workers: int = 2) -> Any:
        """A consumer of this queue; threads (the letters themselves render in a process pool)."""
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
