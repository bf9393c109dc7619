"""Every page that takes a signed token answers a token holding non-ASCII characters as it answers any other bad
token (404), never with a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxloop.invitations.tokens import TokenInvalid, TokenSigner

TOKEN = "1a.2b.ünïcödé€"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/s/{TOKEN}"),
        ("GET", f"/s/{TOKEN}/q/nps"),
        ("POST", f"/s/{TOKEN}"),
        ("GET", f"/u/{TOKEN}"),
        ("POST", f"/u/{TOKEN}"),
    ],
)
def test_a_non_ascii_token_is_not_found(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, data={"nps": "9"} if method == "POST" else None)
    assert answer.status_code == 404, answer.text


def test_the_signer_refuses_non_ascii_without_a_type_error() -> None:
    signer = TokenSigner(b"secret")
    with pytest.raises(TokenInvalid):
        signer.verify(TOKEN)
