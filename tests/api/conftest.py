"""The API tests arrange partners with the portal tests' helpers, and call with tokens."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _portal_conftest() -> Any:
    path = Path(__file__).resolve().parents[1] / "portal" / "conftest.py"
    spec = importlib.util.spec_from_file_location("plaza_tests_partners", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_shared = _portal_conftest()
partners = _shared.partners
days_ago = _shared.days_ago


@dataclass
class Api:
    """Calls ``/api/v1`` with a bearer token, from a client that has no session."""

    client: Any
    token: str

    def __call__(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


@pytest.fixture
def acme(partners):  # type: ignore[no-untyped-def]
    return partners.org("acme", "Acme Outfitters")


@pytest.fixture
def api(app, partners, acme) -> Api:  # type: ignore[no-untyped-def]
    return Api(app.test_client(), partners.token(acme, "write"))
