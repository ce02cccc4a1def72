"""The outage key cache: only hashes, saved privately, revoked keys dropped."""

from __future__ import annotations

import json

from service import db
from service.keys.cache import (
    VerifiedKeyCache,
    cache_file,
    key_cache,
    principal_for_secret,
    refresh_and_save,
    secret_digest,
)
from service.keys.service import Principal, revoke_key


def test_a_saved_cache_is_private_holds_no_secret_and_loads_in_a_new_process(tmp_path):
    secret = "trk_0123456789abcdef_" + "S" * 43
    cache = VerifiedKeyCache()
    cache.remember(secret_digest(secret), Principal("0123456789abcdef", "cad-1", "cad"))
    path = cache_file(tmp_path / "journal")
    cache.save(path)
    assert path.stat().st_mode & 0o077 == 0
    assert secret not in path.read_text() and "S" * 43 not in path.read_text()
    fresh = VerifiedKeyCache()
    fresh.load(path)
    found = fresh.lookup(secret_digest(secret), verified_after=0)
    assert found == Principal("0123456789abcdef", "cad-1", "cad")
    fresh.load(tmp_path / "missing.json")  # a missing or broken file is ignored
    (tmp_path / "bad.json").write_text("{not json")
    fresh.load(tmp_path / "bad.json")


def test_revoked_keys_leave_the_cache_and_its_file(configured, make_key, tmp_path):
    kept, revoked = make_key("cad"), make_key("cad")
    assert principal_for_secret(kept) and principal_for_secret(revoked)  # both cached
    with db.session_scope(write=True) as session:
        revoke_key(session, revoked.split("_")[1])
    key_cache._last_refresh = 0.0  # the 30-second throttle has passed
    refresh_and_save(tmp_path)
    saved = json.loads(cache_file(tmp_path).read_text())
    assert set(saved) == {secret_digest(kept)}
    assert key_cache.lookup(secret_digest(revoked), verified_after=0) is None
