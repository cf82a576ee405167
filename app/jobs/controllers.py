"""Job pages: start a batch's letter bundle, watch its progress (htmx polls until it is ready), download it."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromPath

from app.attachments.controllers import file_store
from app.batches.service import get_batch
from app.jobs import service
from app.jobs.models import JOB_STATUS_LABELS, JobStatus
from app.jobs.queue import JobQueue
from app.web import DbSession, FormData, Pages, Settings, client_ip

Jobs: TypeAlias = NamedDependency[JobQueue]


def _progress_page(request: Request, renderer: Any, job: Any, status_code: int = 200) -> Response[Any]:
    return renderer.page(
        request,
        "jobs/show.html",
        {"job": job, "job_labels": JOB_STATUS_LABELS, "active": job.status in (JobStatus.QUEUED, JobStatus.RUNNING)},
        status_code=status_code,
        partial="jobs/_progress.html",
    )


@post("/kiriman/{batch_id:int}/bundel", sync_to_thread=True)
def start_bundle(
    request: Request,
    batch_id: FromPath[int],
    data: FormData,
    db_session: DbSession,
    renderer: Pages,
    jobs: Jobs,
) -> Response[Any]:
    user = request.scope["user"]
    batch = get_batch(db_session, user, batch_id)
    try:
        job, created = service.create_bundle_job(
            db_session, batch, fmt=data.get("format", ""), actor=user, ip=client_ip(request)
        )
    except service.JobRefused as exc:
        raise ValidationException(str(exc)) from exc
    if created:
        jobs.enqueue(job.id)
        db_session.refresh(job)
    return _progress_page(request, renderer, job, status_code=202)


@get("/tugas/{job_id:int}", sync_to_thread=True)
def show_job(request: Request, job_id: FromPath[int], db_session: DbSession, renderer: Pages) -> Response[Any]:
    job = service.get_job(db_session, request.scope["user"], job_id)
    return _progress_page(request, renderer, job)


@get("/tugas/{job_id:int}/unduh", sync_to_thread=True)
def download_job(request: Request, job_id: FromPath[int], db_session: DbSession, config: Settings) -> Response[bytes]:
    return job_file(config, service.get_job(db_session, request.scope["user"], job_id))


def job_file(config: Any, job: Any) -> Response[bytes]:
    """A finished job's merged PDF or ZIP (pages and API)."""
    if job.status != JobStatus.DONE or not job.result_sha256:
        raise ValidationException("Berkas belum siap.")
    media = "application/pdf" if job.result_name.endswith(".pdf") else "application/zip"
    return Response(
        file_store(config).get(job.result_sha256),
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="{job.result_name}"',
            "cache-control": "private, no-store",
        },
    )
