"""Every response names its request, and every line logged while answering it says so;
the worker's job runs are named the same way."""

from __future__ import annotations

import logging
import re

import pytest

from app.logs import REQUEST_ID, Context, TextLines, job_run

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_every_response_carries_an_id_of_its_own(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


@pytest.mark.parametrize(
    "given", ["trace-42", "01HZX3K4Q2M8", "a0b1c2d3-e4f5-6789-abcd-ef0123456789", "fly:abc.9"]
)
def test_an_incoming_id_that_is_a_sane_token_is_kept(client, given):
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["", "two words", '"quoted"', "<script>", "x" * 101, "-leading", "caf\u00e9", "a;b"]
)
def test_any_other_incoming_id_is_replaced(client, given):
    answered = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert GENERATED.fullmatch(answered)


def test_every_line_logged_while_answering_carries_the_request_id(app, plaza_log):
    @app.get("/looks-around")
    def looks_around() -> str:
        logging.getLogger("app.shopper").warning("looked at %s", "shoes")
        return "ok"

    response = app.test_client().get("/looks-around", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    logging.getLogger("app.shopper").warning("between requests")
    lines = [r for r in plaza_log.records() if r["logger"] == "app.shopper"]
    assert [(r["message"], r.get("request_id")) for r in lines] == [
        ("looked at shoes", "trace-42"),
        ("between requests", None),
    ]
    assert lines[0]["level"] == "WARNING" and lines[0]["time"].startswith("20")


def test_the_worker_s_job_lines_carry_the_run_s_id_even_from_its_threads(
    world, httpserver, plaza_log
):
    from app.worker import build_scheduler
    from tests.ingest.test_due import PIN_BOARD

    world.app.config["FETCH_ALLOW"] = "127.0.0.1"
    board = "/acme/camp-kitchen.rss"
    httpserver.expect_request(board).respond_with_data(PIN_BOARD, content_type="text/xml")
    world.provider("Board", kind="pinterest", config={"url": httpserver.url_for(board)})
    scheduler = build_scheduler(world.app)
    scheduler.get_job("refresh_due_providers").func()  # as the scheduler runs it
    (line,) = [r for r in plaza_log.records() if r["logger"] == "app.ingest.due"]
    assert line["message"].startswith("provider ") and "1 new" in line["message"]
    assert re.fullmatch(r"refresh_due_providers-[0-9a-f]{8}", line["job_run"])


def test_text_lines_name_the_request_or_the_job_run():
    record = logging.makeLogRecord({"name": "app.x", "levelname": "INFO", "msg": "sent to %s",
                                    "args": ("ann.lee@example.com",)})  # fmt: skip
    token = REQUEST_ID.set("trace-42")
    try:
        assert Context().filter(record)
    finally:
        REQUEST_ID.reset(token)
    assert TextLines().format(record).endswith(" INFO app.x [trace-42] sent to a***@example.com")
    with job_run("notify_tick") as run:
        other = logging.makeLogRecord({"name": "app.y", "levelname": "INFO", "msg": "done"})
        Context().filter(other)
    assert f"[{run}] done" in TextLines().format(other)
