"""JSON API v1 for letters: list a request's or batch's letters (issuing what its stage calls for), download
the stored bytes, and a batch's letters as one PDF or ZIP made in the background. Scoped like the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from app.batches.service import get_batch
from app.config import PortalConfig
from app.jobs import service as jobs_service
from app.jobs.controllers import Jobs, job_file
from app.jobs.models import Job, JobStatus
from app.letters import service
from app.letters.controllers import issue_letters, letter_file
from app.letters.models import Letter
from app.requests.service import get_request
from app.web import DbSession, Settings, client_ip


def letter_out(letter: Letter, config: PortalConfig) -> dict[str, Any]:
    return {
        "id": letter.id,
        "kind": letter.kind,
        "number": letter.number,
        "issued_at": letter.issued_at.isoformat(),
        "sha256": letter.sha256,
        "status": letter.status,
        "download_url": config.url(f"/api/v1/letters/{letter.id}/pdf"),
        "verify_url": f"{config.public_url}{config.url('/verify/' + letter.token)}",
    }


class LetterApiController(Controller):
    path = "/"

    @get("/requests/{request_id:int}/letters", sync_to_thread=True)
    def request_letters(
        self, request: Request, request_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> list[dict[str, Any]]:
        """The request's letters; the receipt (and, once completed, the completion slip) is issued if missing."""
        item = get_request(db_session, request.scope["user"], request_id)
        return [letter_out(x, config) for x in issue_letters(request, db_session, config, request=item)]

    @get("/batches/{batch_id:int}/letters", sync_to_thread=True)
    def batch_letters(
        self, request: Request, batch_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> list[dict[str, Any]]:
        """The batch's letters; the cover letter (once sent) and the review result (once reviewed) are issued."""
        batch = get_batch(db_session, request.scope["user"], batch_id)
        return [letter_out(x, config) for x in issue_letters(request, db_session, config, batch=batch)]

    @get("/letters/{letter_id:int}/pdf", sync_to_thread=True)
    def letter_pdf(
        self, request: Request, letter_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[bytes]:
        """The letter's stored bytes, exactly as issued."""
        return letter_file(db_session, config, service.get_letter(db_session, request.scope["user"], letter_id))


@dataclass
class BundleIn:
    format: str = "pdf"


def job_out(job: Job, config: PortalConfig) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "done": job.done,
        "total": job.total,
        "download_url": config.url(f"/api/v1/jobs/{job.id}/download") if job.status == JobStatus.DONE else None,
    }


class JobApiController(Controller):
    path = "/"

    @post("/batches/{batch_id:int}/bundle", status_code=HTTP_202_ACCEPTED, sync_to_thread=True)
    def bundle(
        self, request: Request, batch_id: FromPath[int], data: JSONBody[BundleIn], db_session: DbSession, jobs: Jobs
    ) -> dict[str, Any]:
        """All the batch's letters as one PDF (``format: "pdf"``) or a ZIP (``"zip"``), made in the background."""
        user = request.scope["user"]
        batch = get_batch(db_session, user, batch_id)
        try:
            job, created = jobs_service.create_bundle_job(
                db_session, batch, fmt=data.format, actor=user, ip=client_ip(request)
            )
        except jobs_service.JobRefused as exc:
            raise ValidationException(str(exc)) from exc
        if created:
            jobs.enqueue(job.id)
        return {"job_id": job.id}

    @get("/jobs/{job_id:int}", sync_to_thread=True)
    def job(self, request: Request, job_id: FromPath[int], db_session: DbSession, config: Settings) -> dict[str, Any]:
        return job_out(jobs_service.get_job(db_session, request.scope["user"], job_id), config)

    @get("/jobs/{job_id:int}/download", sync_to_thread=True)
    def job_download(
        self, request: Request, job_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[bytes]:
        return job_file(config, jobs_service.get_job(db_session, request.scope["user"], job_id))
