"""Batch pages: the clerk makes and sends batches; the district operator reviews them request by request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anyio import to_thread
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from sqlmodel import Session

from app.accounts.guards import require_role
from app.accounts.models import Role
from app.batches import service
from app.batches.models import BATCH_STATUS_LABELS, BatchStatus
from app.catalog.service import services_for
from app.db import utcnow
from app.jobs.models import JOB_STATUS_LABELS
from app.jobs.service import latest_jobs
from app.letters import service as letters
from app.letters.models import KIND_LABELS as LETTER_LABELS
from app.requests.models import STATUS_LABELS
from app.requests.service import Filters, list_requests
from app.requests.validation import mask_number
from app.web import DbSession, FormData, Pages, Renderer, Settings, client_ip, flash, ids_of, parse_id, redirect


def _ids(values: list[str]) -> list[int]:
    return ids_of(values, 5000)


class BatchController(Controller):
    path = "/kiriman"

    @get("/", sync_to_thread=True)
    def list_batches(self, request: Request, db_session: DbSession, renderer: Pages) -> Response[Any]:
        user = request.scope["user"]
        status = request.query_params.get("status", "submitted" if user.role == Role.DISTRICT else "")
        if status not in {s.value for s in BatchStatus}:
            status = ""
        return renderer.page(
            request,
            "batches/list.html",
            {
                "rows": service.batches_in_scope(db_session, user, status),
                "status": status,
                "now": utcnow(),
                "labels": BATCH_STATUS_LABELS,
            },
        )

    @post("/baru", guards=[require_role(Role.CLERK)])
    async def create(self, request: Request, db_session: DbSession, config: Settings) -> Response[Any]:
        # Async: a form with many checkboxes of one name needs the multi-value form API.
        form = await request.form()
        user = request.scope["user"]
        ids = _ids(form.getall("request_id") if "request_id" in form else [])
        if form.get("all_matching") == "1":
            filters = Filters.from_query({k: str(form.get(k, "")) for k in ("q", "service", "date_from", "date_to")})
            filters.status = "draft"
            ids = await to_thread.run_sync(self._matching_drafts, db_session, user, filters, config)

        def work() -> tuple[Any, bool]:
            batch, created = service.create_batch(
                db_session,
                actor=user,
                request_ids=ids,
                form_key=str(form.get("form_key", "")),
                year=datetime.now(config.tz).year,
                ip=client_ip(request),
            )
            db_session.commit()
            return batch, created

        batch, created = await to_thread.run_sync(work)
        if created:
            flash(request, f"Kiriman {batch.number} dibuat. Periksa isinya lalu kirim ke kecamatan.")
        return redirect(config, f"/kiriman/{batch.id}")

    def _matching_drafts(self, db_session: Session, user: Any, filters: Filters, config: Any) -> list[int]:
        rows, _ = list_requests(db_session, user, filters, tz=config.tz, per_page=5000)
        return [r.id for r in rows if r.batch_id is None]

    @get("/{batch_id:int}", sync_to_thread=True)
    def show(self, request: Request, batch_id: FromPath[int], db_session: DbSession, renderer: Pages) -> Response[Any]:
        return self._page(request, renderer, db_session, batch_id)

    def _page(
        self,
        request: Request,
        renderer: Renderer,
        db_session: Session,
        batch_id: int,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        user = request.scope["user"]
        batch = service.get_batch(db_session, user, batch_id)
        items = service.items_of(db_session, batch.id)  # type: ignore[arg-type]
        return renderer.page(
            request,
            "batches/detail.html",
            {
                "batch": batch,
                "items": items,
                "labels": BATCH_STATUS_LABELS,
                "status_labels": STATUS_LABELS,
                "decision_labels": service.DECISION_LABELS,
                "mask": mask_number,
                "errors": errors or {},
                "undecided": sum(1 for item, _ in items if item.decision is None),
                "service_names": {
                    s.code: s.name for s in services_for(db_session, batch.village_code, only_active=False)
                },
                "now": utcnow(),
                "letters": (subject_letters := letters.letters_of(db_session, f"batch:{batch.id}")),
                "revocable": {x.id for x in subject_letters if x.status == "valid" and letters.may_revoke(user, x)},
                "letter_labels": LETTER_LABELS,
                "due": letters.due_kinds_for_batch(batch),
                "issue_url": renderer.config.url(f"/kiriman/{batch.id}/surat"),
                "jobs": latest_jobs(db_session, batch.id),  # type: ignore[arg-type]
                "job_labels": JOB_STATUS_LABELS,
            },
            status_code=status_code,
        )

    @post("/{batch_id:int}/kirim", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def submit(
        self, request: Request, batch_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        batch = service.get_batch(db_session, user, batch_id)
        sent = service.submit_batch(db_session, batch, actor=user, ip=client_ip(request))
        db_session.commit()
        if sent:
            flash(request, f"Kiriman {batch.number} terkirim ke kecamatan.")
        else:
            flash(request, f"Kiriman {batch.number} sudah terkirim sebelumnya; tidak ada yang dikirim ulang.", "info")
        return redirect(config, f"/kiriman/{batch.id}")

    @post("/{batch_id:int}/keluarkan", guards=[require_role(Role.CLERK)], sync_to_thread=True)
    def remove(
        self, request: Request, batch_id: FromPath[int], data: FormData, db_session: DbSession, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        batch = service.get_batch(db_session, user, batch_id)
        request_id = parse_id(data.get("request_id")) or 0  # 0 names no request: the service answers 404
        service.remove_item(db_session, batch, request_id, actor=user, ip=client_ip(request))
        db_session.commit()
        flash(request, "Permohonan dikeluarkan dari kiriman; statusnya tetap draf.")
        return redirect(config, f"/kiriman/{batch.id}")

    @post("/{batch_id:int}/putusan", guards=[require_role(Role.DISTRICT)], sync_to_thread=True)
    def decide(
        self,
        request: Request,
        batch_id: FromPath[int],
        data: FormData,
        db_session: DbSession,
        renderer: Pages,
        config: Settings,
    ) -> Response[Any]:
        user = request.scope["user"]
        batch = service.get_batch(db_session, user, batch_id)
        request_id = parse_id(data.get("request_id")) or 0  # 0 names no request: the service answers 404
        decision, reason = data.get("decision", ""), data.get("reason", "")
        if decision in ("reject", "return") and not reason.strip():
            return self._page(
                request,
                renderer,
                db_session,
                batch_id,
                status_code=400,
                errors={str(request_id): "Tuliskan alasannya agar petugas desa tahu apa yang harus diperbaiki."},
            )
        item = service.decide(db_session, batch, request_id, decision, reason, actor=user, ip=client_ip(request))
        db_session.commit()
        flash(request, f"Keputusan tersimpan: {service.DECISION_LABELS[item.decision]}.")  # type: ignore[index]
        return redirect(config, f"/kiriman/{batch.id}")

    @post("/{batch_id:int}/setujui-semua", guards=[require_role(Role.DISTRICT)], sync_to_thread=True)
    def approve_all(
        self, request: Request, batch_id: FromPath[int], db_session: DbSession, config: Settings
    ) -> Response[Any]:
        user = request.scope["user"]
        batch = service.get_batch(db_session, user, batch_id)
        count = service.approve_remaining(db_session, batch, actor=user, ip=client_ip(request))
        db_session.commit()
        flash(request, f"{count} permohonan disetujui.")
        return redirect(config, f"/kiriman/{batch.id}")
