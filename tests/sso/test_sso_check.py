"""`gtready sso check` against a real provider: a right configuration passes; each wrong one says what is wrong."""

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.sso.conftest import MockProvider, RogueProvider, free_port

runner = CliRunner()


def _check(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    base = {"GTREADY_OIDC_CLIENT_ID": "gtready", "GTREADY_BASE_URL": "http://localhost:8000"}
    for name, value in (base | env).items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(cli, ["sso", "check"])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_a_right_configuration_passes(monkeypatch: pytest.MonkeyPatch, rogue_provider: RogueProvider) -> None:
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=rogue_provider.issuer)
    assert code == 0, output
    assert "ok: redirect URI http://localhost:8000/auth/sso/callback: register exactly this" in output
    assert "ok: claim 'groups' supported" in output and "looks right" in output


def test_the_mock_provider_is_told_to_send_groups(monkeypatch: pytest.MonkeyPatch, mock_provider: MockProvider) -> None:
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=mock_provider.issuer + "/.well-known/openid-configuration")
    assert code == 0, output
    assert "warning: the provider does not list its claims" in output


def test_a_wrong_issuer_scope_or_redirect_is_named(
    monkeypatch: pytest.MonkeyPatch, rogue_provider: RogueProvider,
) -> None:
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=rogue_provider.issuer + "/")
    assert code == 1 and "They must be identical, including the trailing slash" in output
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=rogue_provider.issuer.replace("127.0.0.1", "localhost"))
    assert code == 1 and f"The provider calls itself '{rogue_provider.issuer}'" in output
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=rogue_provider.issuer,
                          GTREADY_OIDC_SCOPES="openid email groups", GTREADY_BASE_URL="http://gtready.hospital.example")
    assert code == 1
    assert "does not support the scope(s) groups" in output
    assert "the redirect URI http://gtready.hospital.example/auth/sso/callback is not https" in output


def test_an_unreachable_provider_or_no_configuration_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER=f"http://127.0.0.1:{free_port()}")
    assert code == 1 and "could not reach the sign-in provider" in output
    code, output = _check(monkeypatch, GTREADY_OIDC_ISSUER="")
    assert code == 1 and "single sign-on is not configured" in output
