"""Fuzz every API operation from its OpenAPI document with every schemathesis check: no 5xx, every status, media
type, header and body is one the document declares, 405s name the allowed methods, data the schema forbids is
refused and data it allows is taken, and authentication is enforced where it is declared.

Callers are a site superuser with an API token (so requests reach the rules, not only the 401), and path ids point
at a real program and item half the time (generated ids would only ever reach 404s). Examples are derandomized
and few per operation, so the run is the same on every machine and short.
"""

import uuid
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from sqlmodel import Session

from app.auth.models import User
from app.auth.service import create_api_token
from tests.factories import make_program

load_all_checks()
EVERY_CHECK = [CHECKS.get_one(name) for name in CHECKS.get_all_names()]

# Rules JSON Schema cannot state, so schema-valid data may rightly get a 422 naming the rule. Only the check that
# expects every schema-valid request to be taken is left out, and only for these operations.
DOMAIN_RULES = {
    # a time zone must be one zoneinfo knows; a bulk edit's keys must be the program's items and its change valid for
    # each; a verified file must be a PDF within the upload limit: rules of data, not of the schema
    "PATCH /api/institutions/{institution_id}",
    "POST /api/programs/{program_id}/items/bulk",
    "POST /api/reports/verify",
    # the library and version must be one this deployment ships (the catalog, not the schema, knows which)
    "POST /api/institutions/{institution_id}/programs",
    # a library upgrade must go to a newer version than the program's current one
    "GET /api/programs/{program_id}/library-diff",
    "POST /api/programs/{program_id}/library-upgrade",
    # a change names the version it is based on, in If-Match or in the body: one of two places, not expressible
    "PATCH /api/programs/{program_id}/items/{key}",
    "POST /api/programs/{program_id}/items/{key}/signoffs",
    # a local item's area must be one of the program's and its dependencies current items without a cycle; a change
    # names its version (If-Match or body); only local items (not the library's) are edited or retired
    "POST /api/programs/{program_id}/local-items",
    "PATCH /api/programs/{program_id}/local-items/{key}",
    "POST /api/programs/{program_id}/local-items/{key}/retire",
    # a packet definition must be valid YAML of the packet format naming items and areas the libraries have
    "PUT /api/institutions/{institution_id}/packets/{packet_kind}",
    # an SSO rule names an email domain or a claim with its value, not both, and each group maps to a known role
    "PUT /api/institutions/{institution_id}/sso",
    # an uploaded library must be a workbook or YAML file that validates as a library (its content, not its schema)
    "POST /api/institutions/{institution_id}/libraries",
    # a logo must really be a PNG or JPEG within the size limits (read from its bytes, not its declared type)
    "PUT /api/institutions/{institution_id}/branding/logo",
    # a committee's chair must be a member of the institution, and its slug free
    "POST /api/institutions/{institution_id}/committees",
    "PATCH /api/institutions/{institution_id}/committees/{slug}",
    # the evidence kind must be one the item expects
    "POST /api/programs/{program_id}/items/{key}/evidence",
    # a dossier's product must be one of the library's that the program offers; the file to verify must be a zip
    "POST /api/programs/{program_id}/dossiers",
    "POST /api/dossiers/verify",
    # cross-field rules of the planning models: payer shares sum to 100%, a schedule's to_month after from_month
    "POST /api/programs/{program_id}/scenarios/reimbursement",
    "POST /api/programs/{program_id}/scenarios/capacity",
    "PUT /api/scenarios/{scenario_id}/reimbursement",
    "PUT /api/scenarios/{scenario_id}/capacity",
    # OAuth 2.0 token endpoint: client credentials come in the form or in HTTP Basic (so no form field is required
    # by the schema), and RFC 6749 section 5.2 answers what is missing with 400 invalid_request, not 422
    "POST /api/oauth/token",
}


@pytest.fixture
def real_ids(app: FastAPI, session: Session, superuser: User) -> dict[str, Any]:
    program = make_program(session, app.state.catalog)
    _, token = create_api_token(session, superuser, "fuzz")
    return {
        "program_id": str(program.id), "institution_id": str(program.institution_id), "key": "PHARM-001",
        "token": token,
    }


@pytest.fixture
def api_schema(app: FastAPI, real_ids: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.seed = 20261130
    # As configuration, not per call: schemathesis then never generates (or negates) the header it replaces.
    schema.config.update(headers={"Authorization": f"Bearer {real_ids['token']}"})
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=4, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_one_the_document_declares(case: Any, real_ids: dict[str, Any]) -> None:
    negated_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if case.path_parameters and not negated_path and uuid.uuid5(uuid.NAMESPACE_OID, repr(case.path_parameters)).int % 2:
        for name in case.path_parameters:
            if name in real_ids:
                case.path_parameters[name] = real_ids[name]
    excluded = []
    if case.operation.label in DOMAIN_RULES:
        from schemathesis.specs.openapi.checks import positive_data_acceptance

        excluded.append(positive_data_acceptance)
    case.call_and_validate(checks=EVERY_CHECK, excluded_checks=excluded)
