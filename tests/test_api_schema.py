"""Property-based tests of the HTTP API against its own OpenAPI document (schemathesis 4).

Every operation of `/openapi.json` gets generated requests (valid and invalid: the
`examples`, `coverage` and `fuzzing` phases, positive and negative data) on the fake engine
with one worker process, sent as an admin, a portal or a reviewer key, with a bogus key or
without one. Each response must:

- not be a 5xx (`not_a_server_error`);
- have a status code the operation documents (`status_code_conformance`);
- have a content type the operation documents for it (`content_type_conformance`);
- have a body that validates against the documented schema (`response_schema_conformance`),
  and the documented headers (`response_headers_conformance`);
- reject invalid data with a 4xx (`negative_data_rejection`).

Path parameters `eid` are, half the time, the id of a real finished extraction (else
generated ids only ever reach the 404 branch). Bounded: at most 25 generated cases per
operation and phase, no deadline.
"""
from __future__ import annotations

import atexit
import itertools
import json
import shutil
import tempfile
import threading

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.python import asgi  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import auth  # noqa: E402
from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.testing import png_bytes  # noqa: E402
from api.worker import FakePipeline, process_one  # noqa: E402

pytestmark = pytest.mark.timeout(300)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]
WHO = ("admin", "portal", "reviewer", "bogus", "none")
WHO_HEADER = "x-test-who"

# The app is built at import (schemathesis generates one test per operation from its
# OpenAPI, read here without starting the app). `schemathesis.pytest.from_fixture` would defer
# this, but does not work with pytest 9. Schemathesis ends the app's lifespan after each test
# item, so the app runs no worker process of its own (one would be spawned per operation):
# a worker thread of the module does the fake engine's jobs.
_DIR = tempfile.mkdtemp(prefix="matex-schema-")
atexit.register(shutil.rmtree, _DIR, True)  # also when the module is collected but not run
SETTINGS = Settings(data_dir=_DIR, workers=0, engine="fake", poll_s=0.1, max_upload_bytes=400_000,
                    sync_max_bytes=300_000, sync_timeout_s=3, rate_per_s=100_000, rate_burst=100_000)
APP = create_app(SETTINGS)
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(APP.openapi())))
schema.app = APP
_STATE: dict = {"ids": []}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the generated `eid`s are replaced by the id of a real, finished extraction (else
    they only ever reach the 404 branch), and so are half the page numbers (1, the page
    there is) and documents/fields (document 0's `name` and `id_number` have a box). A page or
    document number generated invalid (negative data: a boolean) is never replaced by a valid
    one: the case must stay a case the API has to reject."""
    if not path_parameters or not isinstance(path_parameters.get("eid"), str):
        return st.just(path_parameters)

    def an_int(v) -> bool:  # a negative case's page may be a boolean or a string: kept, so it stays invalid
        return isinstance(v, int) and not isinstance(v, bool)

    real = {"eid": st.sampled_from(_STATE["ids"] or ["none"])}
    if "page" in path_parameters and an_int(path_parameters["page"]):
        real["page"] = st.sampled_from([1, path_parameters["page"]])
    if "field" in path_parameters and an_int(path_parameters.get("doc")):
        real["doc"] = st.sampled_from([0, path_parameters["doc"]])
        real["field"] = st.sampled_from(["name", "id_number", path_parameters["field"]])
    return st.one_of(st.just(path_parameters),
                     st.fixed_dictionaries(real).map(lambda r: {**path_parameters, **r}))


def _worker(stop: threading.Event) -> None:
    st = APP.state.matex
    pipe = FakePipeline()
    while not stop.is_set():
        try:
            note = process_one(st.db, st.blobs, pipe, None, "schema-worker", SETTINGS)
        except Exception:  # e.g. the app's lifespan disposing the engine meanwhile
            note = None
        if note is None:
            stop.wait(0.1)


@pytest.fixture(scope="module", autouse=True)
def running_app():
    db = APP.state.matex.db
    keys = {"admin": auth.create_key(db, "admin", "hq", "schema admin"),
            "portal": auth.create_key(db, "portal", "t", "schema portal"),
            "reviewer": auth.create_key(db, "reviewer", "t", "schema reviewer")}
    stop = threading.Event()
    th = threading.Thread(target=_worker, args=(stop,), daemon=True)
    th.start()
    try:
        with asgi.get_client(APP) as client:
            for seed in (1, 2):
                r = client.post("/v1/extractions", headers={"Authorization": f"Bearer {keys['portal']}"},
                                files={"file": (f"s{seed}.png", png_bytes(seed=seed), "image/png")})
                assert r.status_code == 200, r.text
                _STATE["ids"].append(r.json()["id"])
        _STATE["keys"] = keys
        yield
    finally:
        stop.set()
        th.join(10)
        asgi.shutdown_lifespans()
        shutil.rmtree(_DIR, ignore_errors=True)


def _as(case, who: str):
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", WHO_HEADER)}
    headers[WHO_HEADER] = who  # shown in the reproduction of a failure; the app ignores it
    if who == "bogus":
        headers["Authorization"] = "Bearer mx_000000000000_not-a-key"
    elif who != "none":
        headers["Authorization"] = f"Bearer {_STATE['keys'][who]}"
    case.headers = headers
    return case


@schema.hook
def flatmap_case(context, case):
    """Each generated case is sent as one of: an admin, a portal or a reviewer key, a bogus
    key, no key."""
    return st.sampled_from(WHO).map(lambda who: _as(case, who))


_CYCLE = itertools.cycle(WHO)


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case):
    if WHO_HEADER not in (case.headers or {}):  # the examples and coverage phases' cases skip the hook
        _as(case, next(_CYCLE))
    excluded = []
    if case.operation.path == "/v1/extractions" and case.method.upper() == "POST":
        # multipart form fields are text on the wire: a "non-string" `source` generated as
        # negative data arrives as a (valid) string, so accepting it is right
        excluded.append(negative_data_rejection)
    case.call_and_validate(checks=CHECKS, excluded_checks=excluded)


def test_integer_parameters_are_bounded():
    """Found by hand next to schemathesis: an offset beyond SQLite's 64-bit integers was a 500
    (OverflowError in the driver); integer query parameters are bounded, so it is a 422."""
    with asgi.get_client(APP) as client:
        h = {"Authorization": f"Bearer {_STATE['keys']['admin']}"}
        for url in ("/v1/extractions?offset=99999999999999999999", "/v1/review/queue?offset=99999999999999999999",
                    f"/v1/extractions/{_STATE['ids'][0]}?version=99999999999999999999"):
            r = client.get(url, headers=h)
            assert r.status_code == 422, (url, r.status_code, r.text)
            assert r.json()["error"]["code"] == "invalid_request"
        r = client.post("/v1/keys", headers={**h, "Content-Type": "application/json"},
                        data='{"role": "portal", "tenant": "x", "rate_per_s": Infinity}')
        assert r.status_code == 422, r.text
