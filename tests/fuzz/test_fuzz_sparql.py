"""Any SPARQL string through the Python API and ``chaingraph query``, on a real store, in a process of
its own (``sparql_runner.py``): the answer is results or a :class:`~chaingraph.store.QueryError`
(for the command line: exit 0 with output that reads back in its format, or one ``error:`` line and
exit 1 or 2), the process never dies, and nothing calls the outbound listener on 127.0.0.1.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from fuzz_support import fuzz
from hypothesis import example, given
from hypothesis import strategies as st
from sparql_strategies import any_query

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

RUNNER = Path(__file__).with_name("sparql_runner.py")
#: Seconds a query may take in the runner: the strategies make no query that runs for more than a few.
ANSWER_WITHIN = 60
#: The nesting that killed the evaluator with SIGSEGV (issue 13, row 4).
NESTED = "SELECT * WHERE { FILTER(" + "(" * 6000 + "1" + ")" * 6000 + ") }"


class QueryProcess:
    """The runner, started on first use and again after it died."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close)
        self.folder = tempfile.TemporaryDirectory()

    def ask(self, request: dict) -> dict:
        """The runner's answer to ``request``; fails the test if the runner dies or hangs on it."""
        if self.process is None:
            command = [sys.executable, str(RUNNER), str(self.store)]
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True
            )
        process = self.process
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], ANSWER_WITHIN)
        line = process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        process.kill()
        code = process.wait()
        self.process = None
        self.log.seek(0)
        said = self.log.read()[-2000:].decode("utf-8", "replace")
        self.log.seek(0)
        self.log.truncate()
        what = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        if not ready:
            what = f"no answer within {ANSWER_WITHIN} s"
        pytest.fail(f"the query process failed ({what}) on {request['query'][:300]!r}; it said: {said}")

    def file(self) -> str:
        """Where a query to be read with ``--file`` is written."""
        return str(Path(self.folder.name) / "query.rq")

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(30)
        self.log.close()
        self.folder.cleanup()


@pytest.fixture(scope="module")
def queries(welding_store):
    running = QueryProcess(welding_store)
    yield running
    running.close()


@fuzz(250)
@given(data=st.data())
@example(data=None)  # the query of issue 13, row 4
def test_the_api_gives_results_or_a_query_error(queries, listener, data):
    query = data.draw(any_query(listener.port)) if data is not None else NESTED
    answer = queries.ask({"via": "api", "query": query})
    listener.check_silent()
    if answer["outcome"] == "error":
        assert "QueryError" in answer["classes"], answer


@fuzz(100)
@given(data=st.data())
@example(data=None)
def test_chaingraph_query_prints_results_or_one_error_line(queries, listener, data):
    if data is None:
        query, fmt, in_file = NESTED, "table", True
    else:
        query = data.draw(any_query(listener.port))
        fmt = data.draw(st.sampled_from(["table", "csv", "tsv", "json", "xml"]))
        in_file = data.draw(st.booleans())
    answer = queries.ask({"via": "cli", "query": query, "format": fmt, "file": queries.file() if in_file else None})
    listener.check_silent()
    assert answer["exception"] is None, answer
    lines = answer["stderr"].splitlines()
    if answer["exit"] == 0:
        assert answer["unreadable"] is None, answer
    else:
        assert answer["exit"] in (1, 2), answer
        assert len(lines) == 1 and lines[0].startswith("error: "), answer
