"""Rules for the catalogue: each regency's copy, switching services on/off, editing texts and targets."""

from __future__ import annotations

from sqlmodel import Session, select

from app.audit.service import record
from app.cache import reference_cache
from app.catalog.definitions import BY_CODE, SERVICES, ServiceDefinition
from app.catalog.models import Service
from app.db import utcnow


def ensure_catalog(session: Session, regency_code: str) -> int:
    """Give a regency every shipped service it does not have yet; returns how many were added."""
    have = set(session.exec(select(Service.code).where(Service.regency_code == regency_code)))
    added = 0
    for d in SERVICES:
        if d.code not in have:
            session.add(
                Service(
                    regency_code=regency_code,
                    code=d.code,
                    name=d.name,
                    output=d.output,
                    requirements=list(d.requirements),
                    target_days=d.target_days,
                )
            )
            added += 1
    return added


def regency_of(region_code: str) -> str:
    return ".".join(region_code.split(".")[:2])


def services_for(session: Session, region_code: str, *, only_active: bool = True) -> list[Service]:
    """The services of the regency a region belongs to, in catalogue order."""
    query = select(Service).where(Service.regency_code == regency_of(region_code))
    if only_active:
        query = query.where(Service.active)
    order = {d.code: i for i, d in enumerate(SERVICES)}
    return sorted(session.exec(query), key=lambda s: order.get(s.code, 99))


@reference_cache()
def service_names(session: Session, region_code: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every service of the region's regency, active or not, in catalogue order: for list
    filters and for naming services in lists and exports (names come from the shipped catalogue)."""
    return tuple((s.code, s.name) for s in services_for(session, regency_of(region_code), only_active=False))


def get_service(session: Session, region_code: str, code: str, *, only_active: bool = True) -> Service | None:
    query = select(Service).where(Service.regency_code == regency_of(region_code), Service.code == code)
    service = session.exec(query).first()
    if service is None or (only_active and not service.active):
        return None
    return service


def definition(code: str) -> ServiceDefinition:
    return BY_CODE[code]


def update_service(
    session: Session,
    service: Service,
    *,
    active: bool,
    target_days: str,
    requirements: str,
    actor: object,
    ip: str | None,
) -> dict[str, str]:
    """An admin edits their regency's service: on/off, target (working days), one requirement per line."""
    errors: dict[str, str] = {}
    try:
        days = int(target_days)
        if not 1 <= days <= 90:
            raise ValueError
    except ValueError:
        errors["target_days"] = "Target layanan diisi angka hari kerja, 1 sampai 90."
        days = service.target_days
    lines = [" ".join(line.split()) for line in requirements.splitlines() if line.strip()]
    if not lines:
        errors["requirements"] = "Tuliskan minimal satu persyaratan, satu per baris."
    elif any(len(line) > 300 for line in lines):
        errors["requirements"] = "Satu persyaratan paling banyak 300 karakter."
    if errors:
        return errors
    changes = {}
    for key, new in (("active", active), ("target_days", days), ("requirements", lines)):
        if getattr(service, key) != new:
            changes[key] = [getattr(service, key), new]
            setattr(service, key, new)
    if changes:
        service.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="service.update",
            object_type="service",
            object_id=service.code,
            region_code=service.regency_code,
            changes=changes,
            ip=ip,
        )
        session.commit()
    return {}


def ensure_all(session: Session) -> int:
    """Every regency in the database gets the catalogue services it lacks (after loading regions)."""
    from app.regions.models import LEVEL_REGENCY, Region

    added = sum(
        ensure_catalog(session, code) for code in session.exec(select(Region.code).where(Region.level == LEVEL_REGENCY))
    )
    session.commit()
    return added
