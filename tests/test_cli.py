"""The command line, run in-process with typer's runner: output formats, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from chaingraph.cli import EXIT_PARTIAL, app

runner = CliRunner()
ACCEPTANCE = "Graduates write SQL queries, build dashboards in Tableau and program a programmable logic controller."


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def built(tmp_path, mini_env):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Welders use SQL and Tableau.\n", encoding="utf-8")
    store = tmp_path / "store"
    result = run("build", str(corpus), "--store", str(store))
    assert result.exit_code == 0, result.output
    return store


class TestExtract:
    def test_json_lines_on_the_real_vocabularies(self, full_nlp):
        result = run("extract", "--text", ACCEPTANCE, "--format", "json")
        assert result.exit_code == 0
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(r["text"], r["class"], r["start"], r["end"]) for r in records] == [
            ("SQL", "Skill", 16, 19),
            ("Tableau", "Technology", 49, 56),
            ("programmable logic controller", "Skill", 71, 100),
        ]
        assert set(records[0]) >= {"text", "start", "end", "concept", "label", "class", "score"}

    def test_policy_wording_prints_nothing(self, full_nlp):
        result = run("extract", "--text", "The committee shall design and manage a process to review the plan.")
        assert (result.exit_code, result.stdout) == (0, "")

    def test_file_and_unreadable_file(self, tmp_path, full_nlp):
        good = tmp_path / "a.md"
        good.write_text("# Notes\n\nWelders read blueprints.\n", encoding="utf-8")
        result = run("extract", str(good))
        assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["Welders", "blueprints"]
        bad = tmp_path / "b.pdf"
        bad.write_bytes(b"not a pdf")
        result = run("extract", str(bad))
        assert result.exit_code == 1
        assert "b.pdf" in result.stderr

    def test_needs_exactly_one_input(self):
        assert run("extract").exit_code == 2


class TestQuery:
    QUERY = (
        "PREFIX cg: <https://w3id.org/chaingraph/ontology#> "
        "SELECT ?text WHERE { ?m a cg:Mention ; cg:text ?text } ORDER BY ?text"
    )

    def test_formats(self, built):
        as_csv = run("query", self.QUERY, "--store", str(built), "--format", "csv")
        assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["text"], ["SQL"], ["Tableau"], ["Welders"]]
        as_json = json.loads(run("query", self.QUERY, "--store", str(built), "--format", "json").stdout)
        assert [b["text"]["value"] for b in as_json["results"]["bindings"]] == ["SQL", "Tableau", "Welders"]
        table = run("query", self.QUERY, "--store", str(built)).stdout
        assert "Tableau" in table and "text" in table

    def test_query_file_and_ask(self, built, tmp_path):
        query = tmp_path / "q.rq"
        query.write_text("ASK { ?s a <https://w3id.org/chaingraph/ontology#Relation> }", encoding="utf-8")
        result = run("query", "--file", str(query), "--store", str(built))
        assert result.stdout.strip() == "true"

    def test_malformed_query_is_one_clear_error(self, built):
        result = run("query", "SELEKT ?x WHERE { ?x ?y }", "--store", str(built))
        assert result.exit_code == 1
        assert "malformed SPARQL query" in result.stderr
        assert "Traceback" not in result.output


class TestStatsExport:
    def test_stats_json(self, built):
        numbers = json.loads(run("stats", "--store", str(built), "--format", "json").stdout)
        assert {"documents", "mentions", "relations", "triples", "concepts_by_class"} <= set(numbers)
        assert (numbers["documents"], numbers["mentions"]) == (1, 3)
        assert numbers["mentions_by_class"] == {
            "Skill": 1,
            "Technology": 1,
            "Occupation": 1,
            "Programme": 0,
            "Course": 0,
            "Industry": 0,
        }

    def test_export_to_file_and_validate(self, built, tmp_path):
        out = tmp_path / "graph.ttl"
        result = run("export", "--format", "ttl", "--out", str(out), "--store", str(built))
        assert result.exit_code == 0 and out.stat().st_size > 0
        assert not (tmp_path / "graph.ttl.part").exists()
        assert run("validate", "--store", str(built)).exit_code == 0


def test_partial_build_exit_code(tmp_path, mini_env):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Welders use SQL.\n", encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = run("build", str(corpus), "--store", str(tmp_path / "store"))
    assert result.exit_code == EXIT_PARTIAL
    assert "empty.txt" in result.stderr
    assert "built 1 documents" in result.stdout


def test_query_labels_in_chinese_fall_back_to_english(built):
    # The mini vocabulary gives "use \"quoted\" <tools>" a Chinese label (使用工具); SQL has none.
    query = "SELECT ?c WHERE { VALUES ?c { <https://example.org/c/quote> <https://example.org/c/sql> } } ORDER BY ?c"
    result = run("query", query, "--store", str(built), "--format", "csv", "--lang", "zh")
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["c", "c_label"],
        ["https://example.org/c/quote", "使用工具"],
        ["https://example.org/c/sql", "SQL"],
    ]
