"""/docs as a script writer opens it: offline (every asset served by the app) and with an Authorize button."""

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient


def test_docs_page_loads_only_same_origin_assets_and_each_answers(anonymous: TestClient) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    referenced = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*'([^']+)'""", page.text)
    urls = [src or href for src, href in referenced]
    assert {"/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
            "/static/vendor/swagger-ui/favicon.png", "/openapi.json"} <= set(urls)
    assert all(not urlsplit(url).scheme and not urlsplit(url).netloc for url in urls), urls
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert '"validatorUrl": null' in page.text  # Swagger UI would otherwise call validator.swagger.io
    for url in urls:
        answer = anonymous.get(url)
        assert answer.status_code == 200 and answer.content, url
    assert anonymous.get("/redoc").status_code == 404  # disabled rather than loading from a CDN


def test_openapi_declares_bearer_token_and_session_cookie_schemes(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie",
                                        "name": "gtready_session"}
    paths = schema["paths"]
    either = [{"apiToken": []}, {"sessionCookie": []}]
    assert paths["/api/programs/{program_id}/readiness"]["get"]["security"] == either
    assert paths["/api/auth/tokens"]["post"]["security"] == either
    assert "security" not in paths["/api/auth/login"]["post"] and "security" not in paths["/healthz"]["get"]


def test_every_operation_that_answers_401_without_credentials_declares_security(anonymous: TestClient) -> None:
    """The declared security follows the code: what refuses an anonymous caller says it needs a scheme."""
    paths = anonymous.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if "{" in path or not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method != "get":
                continue
            answer = anonymous.get(path)
            if answer.status_code == 401:
                assert operation.get("security") == [{"apiToken": []}, {"sessionCookie": []}], path
