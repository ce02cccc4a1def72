"""A small CAD-side client for the call-triage service (Python 3.11+, httpx).

Copy it into your CAD bridge and adapt. It shows the three things a caller must get right:

1. **Idempotency**: every triage carries ``Idempotency-Key: <CAD incident number>:<update
   sequence>``. A retry of the same update (after a timeout, a 5xx, a dropped connection) sends
   the same key and gets the stored recommendation back, never a second one.
2. **Retries**: 5xx, 429, timeouts and connection errors are retried with exponential backoff
   and jitter (honoring ``Retry-After``); other 4xx are the caller's bug and raised at once.
   ``409 idempotency_conflict`` means the key was already used for a different body: use the
   next update sequence number, do not retry.
3. **Webhook signatures**: ``verify_webhook`` checks ``Triage-Signature`` before trusting a push.

Run it against a server::

    TRIAGE_URL=http://127.0.0.1:8000 TRIAGE_API_KEY=trk_... TRIAGE_CALL_ID=24-000124 \
        .venv/bin/python docs/examples/triage_client.py

``TRIAGE_CALL_ID`` (default ``24-000123``) should be a call not triaged before.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import sys
import time
from typing import Any

import httpx

RETRYABLE = {429, 500, 502, 503, 504}


class TriageError(Exception):
    """The service refused the request (4xx other than 429), or retries ran out."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code", "unknown")
        self.fields = [f.get("field") for f in error.get("fields", [])]
        self.request_id = error.get("request_id")
        super().__init__(f"{status} {self.code}: {error.get('message', '')} {self.fields}")


class TriageClient:
    """Triage calls, list their versions, record decisions and outcomes."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
        max_retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}"},
        )
        self.max_retries = max_retries
        self.backoff = backoff

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Send with retries on 5xx/429/timeouts; the same headers (and key) on every try."""
        for attempt in range(self.max_retries + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError):
                if attempt == self.max_retries:
                    raise
                self._sleep(attempt, None)
                continue
            if response.status_code in RETRYABLE and attempt < self.max_retries:
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            if response.status_code >= 400:
                raise TriageError(response.status_code, _json(response))
            return _json(response)
        raise AssertionError("unreachable")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)  # noqa: S311
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(min(delay, 30.0))

    def triage(
        self, call_id: str, narrative: str, *, update: int = 0, call_type: str | None = None
    ) -> dict[str, Any]:
        """Triage one version of a call's note; ``update`` is the CAD's update sequence."""
        body: dict[str, Any] = {"call_id": call_id, "narrative": narrative}
        if call_type:
            body["call_type"] = call_type
        headers = {"Idempotency-Key": f"{call_id}:{update}"}
        return self._request("POST", "/v1/triage", json=body, headers=headers)

    def triage_eido(self, document: dict[str, Any], *, key: str) -> dict[str, Any]:
        """Triage a NENA EIDO incident document (``key``: incident number + update sequence)."""
        return self._request("POST", "/v1/triage/eido", json=document, headers={
            "Idempotency-Key": key})  # fmt: skip

    def call_versions(self, call_id: str) -> list[dict[str, Any]]:
        """Every version of a call's recommendation, oldest first."""
        return self._request("GET", f"/v1/calls/{call_id}/recommendations")["items"]

    def decide(
        self, recommendation: dict[str, Any], *, override: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Accept a recommendation, or override it (``override``: mode, backup, reason)."""
        body = {
            "action": "overridden" if override else "accepted",
            "response_mode": recommendation["response_mode"],
            "backup_level": recommendation["backup_level"],
            **(override or {}),
        }
        path = f"/v1/recommendations/{recommendation['recommendation_id']}/decision"
        return self._request("POST", path, json=body)

    def report_outcome(self, call_id: str, **outcome: Any) -> dict[str, Any]:
        """How the call ended (disposition, force_used, injuries, arrest, ...)."""
        return self._request("POST", f"/v1/calls/{call_id}/outcome", json=outcome)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        return response.json()
    except ValueError:
        return {"error": {"code": "not_json", "message": response.text[:200]}}


def verify_webhook(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """Check ``Triage-Signature: t=<unix>,v1=<hex>`` over the raw body; reject stale times."""
    parts = [p.strip().partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k == "t" and v.isdigit()]
    signatures = [v for k, _, v in parts if k == "v1"]
    if not stamps or not signatures or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    message = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


def main() -> int:
    """Triage a call, then an update of it, and show what changed."""
    client = TriageClient(os.environ["TRIAGE_URL"], os.environ["TRIAGE_API_KEY"])
    call_id = os.environ.get("TRIAGE_CALL_ID", "24-000123")
    note = "VERBAL DISPUTE BETWEEN NEIGHBORS OVER A PARKING SPOT"
    try:
        first = client.triage(call_id, note, update=1)
        print(f"v{first['call_version']}: {first['response_mode']} backup {first['backup_level']}")
        update = note + "\nUPDT: NEIGHBOR CAME BACK OUTSIDE WITH A HANDGUN"
        second = client.triage(call_id, update, update=2)
        retried = client.triage(call_id, update, update=2)  # a retry: same stored answer
        assert retried["recommendation_id"] == second["recommendation_id"]
        changes = second["changes"] or {}
        print(f"v{second['call_version']}: {second['response_mode']} "
              f"backup {second['backup_level']} added {changes.get('tags_added')} "
              f"alert {changes.get('alert')}")  # fmt: skip
        print(f"versions: {[v['call_version'] for v in client.call_versions(call_id)]}")
    except TriageError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
