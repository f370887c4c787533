"""The application factory: routers, error handlers, shared resources. Nothing else."""

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

import app.models  # noqa: F401  (every table registered before the first query)
from app.audit.router import router as audit_router
from app.auth.router import router as auth_router
from app.auth.security_router import router as security_router
from app.branding.router import router as branding_router
from app.calendar.router import feeds as calendar_feeds_router
from app.calendar.router import router as calendar_router
from app.capacity.router import router as capacity_router
from app.checklists.loader import load_catalog
from app.checklists.router import router as libraries_router
from app.comments.router import router as comments_router
from app.committees.router import router as committees_router
from app.config import Settings
from app.db import make_engine
from app.dossier.router import router as dossier_router
from app.errors import DomainError, validation_error_response
from app.evidence.router import router as evidence_router
from app.institution_libraries.router import router as institution_libraries_router
from app.json_bodies import refuse_coerced_json
from app.limits import BodySizeLimit
from app.me.router import router as me_router
from app.methods import AllowedMethods
from app.notifications.router import router as notifications_router
from app.observability import RequestIdMiddleware, database_unavailable, probes
from app.openapi import docs, install_openapi
from app.openapi_answers import document_answers
from app.packets.router import router as packets_router
from app.planning.router import router as planning_router
from app.programs.router import router as programs_router
from app.reports.router import router as reports_router
from app.search.router import router as search_router
from app.security_headers import SecurityHeaders
from app.signoffs.router import router as signoffs_router
from app.sso.router import router as sso_router
from app.transfer.router import router as transfer_router
from app.web.accounts import router as web_accounts_router
from app.web.admin import router as web_admin_router
from app.web.branding import router as web_branding_router
from app.web.committees import router as web_committees_router
from app.web.dossiers import router as web_dossiers_router
from app.web.institution_libraries import router as web_institution_libraries_router
from app.web.invitations import router as web_invitations_router
from app.web.library_upgrade import router as web_library_upgrade_router
from app.web.local_items import router as web_local_items_router
from app.web.mfa import router as web_mfa_router
from app.web.my_work import router as web_my_work_router
from app.web.notifications import router as web_notifications_router
from app.web.packets import router as web_packets_router
from app.web.planning import router as web_planning_router
from app.web.programs import router as web_programs_router
from app.web.report_finalise import router as web_report_finalise_router
from app.web.router import router as web_router
from app.web.search import router as web_search_router
from app.web.session import LoginRequired, domain_error_page, http_error_page, redirect_to_login, too_large_page
from app.web.signoffs import router as web_signoffs_router
from app.web.sso import router as web_sso_router
from app.web.templating import STATIC_DIR
from app.web.verify import router as web_verify_router
from app.web.workspace import router as web_workspace_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="gtready",
        version="0.1.0",
        summary="Readiness tracking and PDF readiness reports for commercial gene therapy programs.",
        docs_url=None,  # served by app.openapi.docs from vendored assets, so /docs needs no CDN
        redoc_url=None,
        dependencies=[Depends(refuse_coerced_json)],  # a JSON body's numbers are JSON numbers, its flags booleans
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.catalog = load_catalog(settings.checklists_dir)
    app.add_exception_handler(DomainError, domain_error_page)
    app.add_exception_handler(StarletteHTTPException, http_error_page)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_middleware(AllowedMethods)  # inside RequestIdMiddleware, so its 405s carry a request id too
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes,  # 413 before any body is read
                       max_upload_bytes=settings.max_upload_bytes, page=too_large_page)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeaders)  # outermost of ours: on every response, 413s and error pages included
    app.include_router(probes)
    app.include_router(docs)
    install_openapi(app)
    document_answers(app)  # after install_openapi: adds each operation's errors to its document
    app.include_router(libraries_router)
    app.include_router(institution_libraries_router)
    app.include_router(auth_router)
    app.include_router(security_router)
    app.include_router(programs_router)
    app.include_router(signoffs_router)
    app.include_router(sso_router)
    app.include_router(evidence_router)
    app.include_router(audit_router)
    app.include_router(reports_router)
    app.include_router(branding_router)
    app.include_router(dossier_router)
    app.include_router(packets_router)
    app.include_router(planning_router)
    app.include_router(capacity_router)
    app.include_router(transfer_router)
    app.include_router(notifications_router)
    app.include_router(comments_router)
    app.include_router(committees_router)
    app.include_router(me_router)
    app.include_router(search_router)
    app.include_router(calendar_router)
    app.include_router(calendar_feeds_router)
    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.include_router(web_accounts_router)
    app.include_router(web_sso_router)
    app.include_router(web_mfa_router)
    app.include_router(web_router)
    app.include_router(web_workspace_router)
    app.include_router(web_verify_router)
    app.include_router(web_dossiers_router)
    app.include_router(web_programs_router)
    app.include_router(web_local_items_router)
    app.include_router(web_signoffs_router)
    app.include_router(web_planning_router)
    app.include_router(web_library_upgrade_router)
    app.include_router(web_institution_libraries_router)
    app.include_router(web_admin_router)
    app.include_router(web_committees_router)
    app.include_router(web_branding_router)
    app.include_router(web_report_finalise_router)
    app.include_router(web_invitations_router)
    app.include_router(web_my_work_router)
    app.include_router(web_search_router)
    app.include_router(web_notifications_router)
    app.include_router(web_packets_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
