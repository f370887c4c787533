"""Institutions, programs and their items: creation, listing, updates."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import Membership, User
from app.checklists.loader import Catalog
from app.checklists.schema import Criticality, ItemDef, Library, ProductDef, ProductStatus
from app.clock import today, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.formatting import valid_time_zone
from app.institution_libraries.catalog import institution_catalog
from app.notifications.service import announce_item_change
from app.pagination import PageParams
from app.programs.models import Institution, ItemStatus, Program, ProgramItem
from app.programs.rules import TRANSITIONS
from app.programs.schemas import ItemFilters, ItemRead, ItemUpdate, ProgramCreate

DEFINITION_FIELDS = (
    "area",
    "title",
    "done_when",
    "why",
    "criticality",
    "weight",
    "signoff_role",
    "evidence_kinds",
    "depends_on",
    "renewal_months",
    "references",
    "approval_chain",
)


def create_institution(session: Session, name: str) -> Institution:
    if session.scalars(select(Institution).where(col(Institution.name) == name)).first():
        raise Conflict(f"an institution named '{name}' already exists")
    institution = Institution(name=name)
    session.add(institution)
    session.commit()
    return institution


def get_institution(session: Session, institution_id: uuid.UUID) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("institution not found")
    return institution


def update_institution(
    session: Session, actor: User, institution: Institution, *, time_zone: str | None = None
) -> Institution:
    """Change an institution's settings (its time zone); audited."""
    if time_zone is not None and time_zone != institution.time_zone:
        try:
            valid_time_zone(time_zone)
        except ValueError as error:
            raise Invalid(str(error), field="time_zone") from error
        before, institution.time_zone = institution.time_zone, time_zone
        session.add(institution)
        record_event(session, actor, "institution.settings_changed", entity="institution",
                     entity_key=str(institution.id), institution_id=institution.id,
                     before={"time_zone": before}, after={"time_zone": time_zone})
        session.commit()
    return institution


def time_zone_for(session: Session, user: User) -> str:
    """The zone a person reads times in: their institution's (UTC when they belong to none, or to several
    institutions that disagree)."""
    zones = set(session.scalars(
        select(col(Institution.time_zone)).join(Membership, col(Membership.institution_id) == col(Institution.id))
        .where(col(Membership.user_id) == user.id)
    ).all())
    return zones.pop() if len(zones) == 1 else "UTC"


def list_institutions(
    session: Session, page: PageParams, institution_ids: Sequence[uuid.UUID] | None = None
) -> tuple[Sequence[Institution], int]:
    """Institutions by name; `institution_ids` limits them to those (None: every institution)."""
    query = select(Institution).order_by(col(Institution.name))
    if institution_ids is not None:
        query = query.where(col(Institution.id).in_(institution_ids))
    return _paged(session, query, page)


def get_library(catalog: Catalog, library_id: str, version: str | None) -> Library:
    library = catalog.get(library_id, version) if version else catalog.latest(library_id)
    if library is None:
        wanted = f"{library_id} {version}" if version else library_id
        raise Invalid(f"unknown checklist library '{wanted}'", field="library_id")
    return library


def item_definition(item: ItemDef) -> dict[str, Any]:
    """The library definition an item row keeps as its snapshot."""
    return {
        "area": item.area,
        "title": item.title,
        "done_when": item.done_when,
        "why": item.why,
        "criticality": item.criticality,
        "weight": item.effective_weight,
        "signoff_role": item.signoff_role,
        "evidence_kinds": list(item.evidence),
        "depends_on": list(item.depends_on),
        "renewal_months": item.renewal_months,
        "references": list(item.references),
        "approval_chain": (
            [step.model_dump(exclude_none=True) for step in item.approval_chain] if item.approval_chain else None
        ),
    }


def applicable_definitions(
    library: Library, products: Sequence[str], care_role: str, jurisdiction: str
) -> list[ItemDef]:
    """Applicable items in area then id order, with dependencies on inapplicable items dropped (they can never be
    signed)."""
    area_order = {area.id: index for index, area in enumerate(library.areas)}
    items = sorted(
        library.applicable_items(products, care_role, jurisdiction), key=lambda item: (area_order[item.area], item.id)
    )
    keys = {item.id for item in items}
    return [item.model_copy(update={"depends_on": [d for d in item.depends_on if d in keys]}) for item in items]


def check_jurisdiction(library: Library, jurisdiction: str) -> None:
    if jurisdiction not in library.jurisdictions:
        raise Invalid(
            f"library {library.id} {library.version} has no items for jurisdiction '{jurisdiction}' "
            f"(it covers: {', '.join(library.jurisdictions)})",
            field="jurisdiction",
        )


def current_products(catalog: Catalog, library: Library, products: Sequence[str]) -> list[ProductDef]:
    """The products as the newest version of the library describes them: a product discontinued since a program's
    version shipped is discontinued for that program too."""
    newest = catalog.latest(library.id) or library
    found = [newest.product(p) or library.product(p) for p in products]
    return [p for p in found if p is not None]


def product_status_notices(catalog: Catalog, program: Program) -> list[str]:
    """A product of the program that is being divested or has been discontinued: the program keeps working, but
    nobody should schedule a patient without confirming supply."""
    library = catalog.get(program.library_id, program.library_version)
    if library is None:
        return []
    return [
        f"{p.status_text()}. {p.status_action()}"
        for p in current_products(catalog, library, program.products)
        if p.status != ProductStatus.ACTIVE
    ]


def overdue_review_notices(catalog: Catalog, program: Program) -> list[str]:
    """Product facts (label, price, supply) of the program's library version that are past their review date."""
    library = catalog.get(program.library_id, program.library_version)
    if library is None:
        return []
    return [
        f"{p.name}: product facts were due for review by {p.review_by}; check them against the current label "
        "before relying on them."
        for p in library.overdue_reviews(today())
        if p.id in program.products
    ]


def program_warnings(catalog: Catalog, program: Program) -> list[str]:
    """What the program page and the API say about the program's products."""
    return [*product_status_notices(catalog, program), *overdue_review_notices(catalog, program)]


def create_program(
    session: Session, catalog: Catalog, institution_id: uuid.UUID, data: ProgramCreate, actor: User | None = None
) -> Program:
    """Open a program and instantiate every library item that applies to its products, care role and
    jurisdiction. A discontinued product cannot start a program (nobody can buy a dose of it)."""
    get_institution(session, institution_id)
    catalog = institution_catalog(session, catalog, institution_id)  # shipped libraries and its own uploads
    library = get_library(catalog, data.library_id, data.library_version)
    unknown = [p for p in data.products if library.product(p) is None]
    if unknown:
        known = ", ".join(p.id for p in library.products)
        raise Invalid(f"unknown product '{unknown[0]}' (expected one of: {known})", field="products")
    products = list(dict.fromkeys(data.products))
    for product in current_products(catalog, library, products):
        if product.discontinued:
            raise Invalid(f"{product.status_text()}. A new program cannot offer it.", field="products")
    check_jurisdiction(library, data.jurisdiction.value)
    program = Program(
        institution_id=institution_id,
        title=data.title,
        products=products,
        care_role=data.care_role.value,
        jurisdiction=data.jurisdiction.value,
        library_id=library.id,
        library_version=library.version,
        areas=[{"id": a.id, "title": a.title} for a in library.areas],
    )
    session.add(program)
    session.flush()
    definitions = applicable_definitions(library, products, data.care_role.value, data.jurisdiction.value)
    session.add_all(
        ProgramItem(program_id=program.id, key=d.id, position=i, **item_definition(d))
        for i, d in enumerate(definitions)
    )
    record_event(
        session, actor, "program.created", entity="program", institution_id=institution_id, program_id=program.id,
        after={"title": program.title, "products": products, "care_role": program.care_role,
               "jurisdiction": program.jurisdiction,
               "library": f"{library.id} {library.version}", "items": len(definitions)},
    )
    session.commit()
    return program


def get_program(session: Session, program_id: uuid.UUID) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound("program not found")
    return program


def list_programs(session: Session, institution_id: uuid.UUID, page: PageParams) -> tuple[Sequence[Program], int]:
    get_institution(session, institution_id)
    query = select(Program).where(col(Program.institution_id) == institution_id).order_by(col(Program.created_at))
    return _paged(session, query, page)


def programs_of(session: Session, institution_ids: Sequence[uuid.UUID] | None) -> list[tuple[Institution, Program]]:
    """Programs with their institution, by institution name then age; `None` means every institution."""
    query = select(Institution, Program).join(Program, col(Program.institution_id) == Institution.id)
    if institution_ids is not None:
        query = query.where(col(Institution.id).in_(institution_ids))
    rows = session.execute(query.order_by(col(Institution.name), col(Program.created_at))).all()
    return [(institution, program) for institution, program in rows]


def _paged(session: Session, query: Any, page: PageParams) -> tuple[Sequence[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    return rows, total


# --- items ---------------------------------------------------------------------------------------


def complete_condition() -> ColumnElement[bool]:
    """SQL form of `rules.counts_as_complete`, so readiness aggregates in the database."""
    not_lapsed = or_(col(ProgramItem.lapses_on).is_(None), col(ProgramItem.lapses_on) > today())
    signed = col(ProgramItem.status) == ItemStatus.SIGNED_OFF
    done_non_blocker = and_(
        col(ProgramItem.status) == ItemStatus.DONE, col(ProgramItem.criticality) != Criticality.BLOCKER
    )
    return and_(or_(signed, done_non_blocker), not_lapsed)


def overdue_condition() -> ColumnElement[bool]:
    return and_(
        col(ProgramItem.due_date) < today(),
        col(ProgramItem.status) != ItemStatus.NOT_APPLICABLE,
        ~complete_condition(),
    )


def lapsed_condition() -> ColumnElement[bool]:
    return and_(
        col(ProgramItem.lapses_on) <= today(),
        col(ProgramItem.status).in_([ItemStatus.DONE, ItemStatus.SIGNED_OFF]),
    )


def item_rows_query(program_id: uuid.UUID, filters: ItemFilters) -> Any:
    """Item columns with the owner's name and the overdue/lapsed flags, as plain rows (no ORM identity
    bookkeeping: lists are read-only and this is the hot path)."""
    query: Any = (
        select(
            *ProgramItem.__table__.columns,  # type: ignore[attr-defined]
            col(User.full_name).label("owner_name"),
            overdue_condition().label("overdue"),
            lapsed_condition().label("lapsed"),
        )
        .outerjoin(User, col(User.id) == ProgramItem.owner_id)
        .where(col(ProgramItem.program_id) == program_id)
    )
    if not filters.include_retired:
        query = query.where(col(ProgramItem.retired).is_(False))
    if filters.area:
        query = query.where(col(ProgramItem.area) == filters.area)
    if filters.status:
        query = query.where(col(ProgramItem.status) == filters.status)
    if filters.criticality:
        query = query.where(col(ProgramItem.criticality) == filters.criticality)
    if filters.owner_id:
        query = query.where(col(ProgramItem.owner_id) == filters.owner_id)
    if filters.overdue is not None:
        query = query.where(overdue_condition() if filters.overdue else ~overdue_condition())
    if filters.lapsed is not None:
        query = query.where(lapsed_condition() if filters.lapsed else ~lapsed_condition())
    return query


def list_items(
    session: Session, program_id: uuid.UUID, filters: ItemFilters, page: PageParams
) -> tuple[list[ItemRead], int]:
    """A page of a program's items in area and library order, with the filtered total: two statements
    (the program, then the page with `count(*) OVER ()`) whatever the page size."""
    program = get_program(session, program_id)
    area_order = {area["id"]: index for index, area in enumerate(program.areas)}
    query = item_rows_query(program_id, filters).add_columns(func.count().over().label("total"))
    rows = session.execute(
        query.order_by(case(area_order, value=ProgramItem.area, else_=len(area_order)), col(ProgramItem.position))
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    if rows:
        total = rows[0].total
    else:  # past the last page: the window had no row to report the total on
        total = session.scalar(select(func.count()).select_from(item_rows_query(program_id, filters).subquery()))
    return [ItemRead.model_validate(row._asdict()) for row in rows], int(total or 0)


def get_item(session: Session, program_id: uuid.UUID, key: str) -> ProgramItem:
    """The item entity, for changing it."""
    item = session.scalars(
        select(ProgramItem).where(col(ProgramItem.program_id) == program_id, col(ProgramItem.key) == key)
    ).first()
    if item is None:
        get_program(session, program_id)
        raise NotFound(f"item {key} not found in this program")
    return item


def read_item(session: Session, program_id: uuid.UUID, key: str) -> ItemRead:
    """The item as the API shows it: owner's name, overdue and lapsed flags."""
    query = item_rows_query(program_id, ItemFilters(include_retired=True)).where(col(ProgramItem.key) == key)
    row = session.execute(query).first()
    if row is None:
        get_program(session, program_id)
        raise NotFound(f"item {key} not found in this program")
    return ItemRead.model_validate(row._asdict())


def _check_owner(session: Session, program: Program, owner_id: uuid.UUID) -> None:
    member = session.scalars(
        select(col(Membership.id)).where(
            col(Membership.user_id) == owner_id, col(Membership.institution_id) == program.institution_id
        )
    ).first()
    if member is None:
        raise Invalid("the owner must be a member of the program's institution", field="owner_id")


def _status_changes(session: Session, item: ProgramItem, update_: ItemUpdate) -> dict[str, Any]:
    if update_.status is None or update_.status == item.status:
        if update_.na_justification is not None and item.status == ItemStatus.NOT_APPLICABLE:
            return {"na_justification": update_.na_justification}
        return {}
    current, wanted = ItemStatus(item.status), ItemStatus(update_.status.value)
    if current == ItemStatus.SIGNED_OFF:
        raise Conflict(
            f"item {item.key} is signed off; revoke the sign-off before changing its status",
            current=current_state(session, item),
        )
    if wanted not in TRANSITIONS[current]:
        raise Conflict(f"status cannot go from {current} to {wanted}", current=current_state(session, item))
    changes: dict[str, Any] = {"status": wanted.value}
    if wanted == ItemStatus.NOT_APPLICABLE:
        if not update_.na_justification:
            raise Invalid(
                "a justification is required to mark an item not applicable",
                field="na_justification",
            )
        changes["na_justification"] = update_.na_justification
    else:
        changes["na_justification"] = None
    changes["completed_at"] = utcnow() if wanted == ItemStatus.DONE else None
    return changes


def _lost_race(session: Session, item: ProgramItem) -> Conflict:
    message = f"item {item.key} was changed by someone else; reload and try again"
    return Conflict(message, current=current_state(session, item))


def current_state(session: Session, item: ProgramItem) -> dict[str, Any]:
    """What a client that lost a race is shown: the item as it now stands."""
    return read_item(session, item.program_id, item.key).model_dump(mode="json")


def update_item(
    session: Session,
    program_id: uuid.UUID,
    key: str,
    update_: ItemUpdate,
    expected_version: int | None,
    actor: User | None = None,
) -> tuple[ItemRead, dict[str, Any]]:
    """Apply a change if the caller saw the current version. Returns the item and the changed fields' old values.

    The version check is part of the UPDATE itself, so two concurrent writers cannot both succeed.
    """
    item = get_item(session, program_id, key)
    version = expected_version if expected_version is not None else update_.version
    if version is None:
        raise Invalid("send the item version you are changing (If-Match header or 'version')", field="version")
    if version != item.version:
        raise _lost_race(session, item)
    program = get_program(session, program_id)
    sent = update_.model_fields_set
    changes = _status_changes(session, item, update_)
    if "owner_id" in sent and update_.owner_id != item.owner_id:
        if update_.owner_id is not None:
            _check_owner(session, program, update_.owner_id)
        changes["owner_id"] = update_.owner_id
    if "due_date" in sent and update_.due_date != item.due_date:
        changes["due_date"] = update_.due_date
    if update_.notes is not None and update_.notes != item.notes:
        changes["notes"] = update_.notes
    if not changes:
        return read_item(session, program_id, key), {}
    before = {field: getattr(item, field) for field in changes}
    result = session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == item.version)
        .values(**changes, version=item.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise _lost_race(session, get_item(session, program_id, key))
    record_event(
        session, actor, "item.updated", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program_id, before={**before, "version": version}, after={**changes, "version": version + 1},
    )
    announce_item_change(
        session, program_id=program_id, program_title=program.title, institution_id=program.institution_id,
        key=key, title=item.title, signoff_role=item.signoff_role, changes=changes, version=version + 1,
        actor_id=actor.id if actor else None,
    )
    # Read back inside the transaction: the answer is this change's result, not a later writer's.
    updated = read_item(session, program_id, key)
    session.commit()
    session.expire(item)
    return updated, before
