"""Runs the fuzz suite's SPARQL queries in a process of its own, so that a crash of the evaluator (a
SIGSEGV on a deeply nested query) kills this process, which the test sees, and not the test runner.

``python sparql_runner.py STORE`` reads one JSON request a line on stdin and writes one JSON answer a
line; what the queries print goes elsewhere. A request is ``{"query": ..., "via": "api"}`` (the Python
API: :func:`chaingraph.query`, every solution read) or ``{"query": ..., "via": "cli", "format": F,
"file": PATH}`` (``chaingraph query``, in this process, the query as an argument or, with ``file``, in
that file). The answer says what happened: for the API the outcome (``results`` or the error's class
and the classes it derives from), for the command line its exit code, stderr, any exception that
escaped it, and whether its output reads back in the format asked for.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import traceback

#: Solutions or triples read from one answer (the welding store gives fewer to queries that end).
MAX_ROWS = 200_000


def run_api(query: str, store: str) -> dict:
    """The query through the Python API, its whole answer read."""
    import pyoxigraph as ox

    from chaingraph import api

    rows = 0
    try:
        results = api.query(query, store)
        if isinstance(results, ox.QueryBoolean):
            bool(results)
        elif isinstance(results, ox.QuerySolutions):
            names = [variable.value for variable in results.variables]
            for solution in results:
                for name in names:
                    solution[name]
                rows += 1
                if rows >= MAX_ROWS:
                    break
        else:
            for _ in results:
                rows += 1
                if rows >= MAX_ROWS:
                    break
    except Exception as error:
        return {
            "outcome": "error",
            "classes": [cls.__name__ for cls in type(error).__mro__],
            "message": str(error)[:2000],
            "traceback": traceback.format_exc()[-4000:],
        }
    return {"outcome": "results", "rows": rows}


def readable(output: bytes, fmt: str) -> str | None:
    """Why ``output`` does not read back as the ``--format`` asked for (or as Turtle, what a CONSTRUCT
    prints), or None when it does."""
    import pyoxigraph as ox

    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8: {error}"
    if text.strip() in ("true", "false"):  # an ASK answer, whatever the format
        return None

    def solutions() -> None:
        if fmt == "csv":  # pyoxigraph does not read CSV results back (they drop the term types)
            list(csv.reader(io.StringIO(text, newline="")))
            return
        formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}
        results = ox.parse_query_results(output, format=formats.get(fmt, ox.QueryResultsFormat.TSV))
        if isinstance(results, ox.QuerySolutions):
            list(results)

    def triples() -> None:
        list(ox.parse(output, format=ox.RdfFormat.TURTLE))

    problems = []
    for read in (solutions, triples):
        try:
            read()
            return None
        except (ValueError, SyntaxError, OSError, csv.Error) as error:
            problems.append(f"{read.__name__}: {type(error).__name__}: {error}")
    return "; ".join(problems)


def run_cli(query: str, store: str, fmt: str, file: str | None) -> dict:
    """The query through ``chaingraph query``, as typed on the command line or in a file."""
    from typer.testing import CliRunner

    from chaingraph.cli import app

    arguments = ["query", "--store", store, "--format", fmt]
    if file is not None:
        with open(file, "wb") as out:
            out.write(query.encode("utf-8", "surrogatepass"))
        arguments += ["--file", file]
    else:
        arguments += ["--", query]
    result = CliRunner().invoke(app, arguments)
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    stdout = result.stdout_bytes
    return {
        "exit": result.exit_code,
        "stderr": result.stderr[-4000:],
        "exception": repr(escaped) if escaped else None,
        "unreadable": readable(stdout, fmt) if result.exit_code == 0 and fmt != "table" else None,
    }


def main() -> None:
    store = sys.argv[1]
    # The answers go out on a descriptor of their own; anything printed lands on stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for line in sys.stdin:
        request = json.loads(line)
        if request["via"] == "api":
            answer = run_api(request["query"], store)
        else:
            answer = run_cli(request["query"], store, request["format"], request.get("file"))
        channel.write(json.dumps(answer) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
