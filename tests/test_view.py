"""Graph views: the selection, the self-contained page loaded in a real headless Chromium (no
network), the GEXF/GraphML/CSV exports and the ``view`` command, on a store built from the mini
vocabulary with a document whose title is an HTML injection."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from chaingraph import api
from chaingraph.cli import app
from chaingraph.cli.view import export_graph_view  # (importing it registers the view command)
from chaingraph.views.graph_view import ViewError, describe_view, export_view, graph_view, select_view

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_TAIL = "</script><img src=y onerror=alert(2)>"
EX = "https://example.org/c/"
PROGRAMME = "https://w3id.org/chaingraph/id/cip/48.0508"
WELDERS = "https://w3id.org/chaingraph/id/onet/51-4121.06"
QUOTE_LABEL = 'use "quoted" <tools>'


# ---------------------------------------------------------------------- a headless browser


def find_chromium() -> str:
    """The Chromium to test with: ``$CHROMIUM``, else ``chromium`` (Debian) or Chrome on the PATH."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.fail(
        "Chromium is needed for the browser tests and was not found: install it "
        "(Debian: apt-get install -y chromium) or set CHROMIUM=/path/to/chrome",
        pytrace=False,
    )


class HeadlessChromium:
    """Headless Chromium driven over the DevTools protocol on a pipe: standard library only.

    :meth:`load` opens a page in a fresh tab and waits until the page publishes its state
    (``#cg-state[data-ready=true]``); it returns that state with every request the tab made, any
    JavaScript dialog (an ``alert`` means injected code ran) and any uncaught exception.
    """

    FLAGS = (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--mute-audio", "--window-size=1280,800",
        # No network: names resolve to nothing and any connection goes to a closed local port.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
    )  # fmt: skip
    READY = (
        "(() => { const e = document.getElementById('cg-state');"
        " return e && e.dataset.ready === 'true' ? e.textContent : null })()"
    )

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="chaingraph-chromium-")
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def wire() -> None:  # the browser reads commands on fd 3 and writes replies on fd 4
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *self.FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
            pass_fds=(3, 4),
            preexec_fn=wire,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._last_id = 0
        self.events: list[dict] = []

    def _send(self, method: str, session: str | None = None, **params) -> int:
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        return self._last_id

    def _receive(self, timeout: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._in], [], [], timeout)
            if not ready:
                raise TimeoutError(f"Chromium did not answer within {timeout} s")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, *, timeout: float = 60, **params) -> dict:
        wanted = self._send(method, session, **params)
        while True:
            message = self._receive(timeout)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
                if message["method"] == "Page.javascriptDialogOpening":  # answer it or the tab stays blocked
                    self._send("Page.handleJavaScriptDialog", message.get("sessionId"), accept=True)

    def evaluate(self, session: str, expression: str):
        """The value of a JavaScript expression in the page."""
        return self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)["result"].get("value")

    def load(self, url: str, *, timeout: float = 30.0, then=None) -> dict:
        """Open ``url`` and wait for the page's state; ``then(browser, session)`` may act on the drawn page."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session)
        first = len(self.events)
        start = time.perf_counter()
        self.call("Page.navigate", session, url=url)
        state = None
        while state is None and time.perf_counter() - start < timeout:
            if any(e["method"] == "Runtime.exceptionThrown" for e in self.events[first:]):
                break  # the page failed: no point waiting for it
            value = self.evaluate(session, self.READY)
            if value:
                state = json.loads(value)
            else:
                time.sleep(0.05)
        wall = time.perf_counter() - start
        after = then(self, session) if then is not None and state is not None else None
        self.call("Target.closeTarget", targetId=target)
        events = [e for e in self.events[first:] if e.get("sessionId") == session]

        def of(method: str) -> list[dict]:
            return [e["params"] for e in events if e["method"] == method]

        return {
            "state": state,
            "wall": wall,
            "requests": [p["request"]["url"] for p in of("Network.requestWillBeSent")],
            "dialogs": [p.get("message") for p in of("Page.javascriptDialogOpening")],
            "exceptions": [p["exceptionDetails"] for p in of("Runtime.exceptionThrown")],
            "then": after,
        }

    def close(self) -> None:
        try:
            self._send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        os.close(self._in)
        os.close(self._out)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    chromium = HeadlessChromium(find_chromium())
    yield chromium
    chromium.close()


# ---------------------------------------------------------------------- the graph under test


@pytest.fixture(scope="module")
def store(mini_ontologies, tmp_path_factory):
    """Six concepts, nine relations; the standard about welders has a hostile title and sentence.

    Relations (weight): Welding Technology teaches SQL (2) and PLC (2.585), prepares for Welders (2);
    Welders require SQL, PLC and the quoted skill (2 each), use Tableau (2); PLC–SQL (2) and
    SQL–Tableau (3.585) are co-mentions.
    """
    folder = tmp_path_factory.mktemp("view")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "welding.md").write_text(
        "# Welding Technology\n\nStudents learn SQL and PLC programming.\n\n"
        "Welders read programmable logic controller output.\n",
        encoding="utf-8",
    )
    (corpus / "welder.txt").write_text(
        f'Welders\n\nWelders use Tableau daily and write SQL.\n\nWelders use "quoted" <tools> on site {HOSTILE_TAIL}\n',
        encoding="utf-8",
    )
    (corpus / "note.txt").write_text("Analysts use Tableau and SQL together.\n", encoding="utf-8")
    (corpus / "manifest.csv").write_text(
        "path,title,kind,about,date\n"
        "welding.md,Welding curriculum,curriculum,cip:48.0508,2020\n"
        f"welder.txt,{HOSTILE_TITLE},standard,onet:51-4121.06,2025\n"
        "note.txt,Note,other,,2024\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINGRAPH_ONTOLOGIES", str(mini_ontologies))
        patch.setenv("CHAINGRAPH_CACHE", str(folder / "cache"))
        report = api.build(corpus, folder / "store")
    assert (report.documents, report.partial) == (3, False)
    return folder / "store"


@pytest.fixture(scope="module")
def graph(store):
    return api.concept_graph(store)


@pytest.fixture(scope="module")
def page(store, tmp_path_factory):
    return graph_view(store).write(tmp_path_factory.mktemp("page") / "view.html")


def labels(view) -> set[str]:
    return {a["label"] for _, a in view.nodes(data=True)}


# ---------------------------------------------------------------------- selection


class TestSelectView:
    def test_everything_fits(self, graph):
        view = select_view(graph)
        assert (view.number_of_nodes(), view.number_of_edges()) == (6, 9)
        assert describe_view(view) == ["Showing 6 of 6 concepts and 9 of 9 relations."]

    def test_chains_and_classes(self, graph):
        talent = select_view(graph, chains=["talent"])
        assert labels(talent) == {"SQL", "programmable logic controller", QUOTE_LABEL, "Welders"}
        assert talent.number_of_edges() == 4
        skills = select_view(graph, classes=["skill", "Technology"])  # class names in any case
        assert labels(skills) == {"SQL", "programmable logic controller", QUOTE_LABEL, "Tableau"}
        assert skills.number_of_edges() == 2
        assert "chains talent" in " ".join(describe_view(talent))

    def test_unknown_chain_names_the_choices(self, graph):
        with pytest.raises(ViewError, match="unknown chain 'skills'; choose from education, talent"):
            select_view(graph, chains=["skills"])

    @pytest.mark.parametrize("focus", ["Tableau", "tableau", EX + "tableau"])
    def test_focus_by_label_or_iri(self, graph, focus):
        view = select_view(graph, focus=focus)
        assert labels(view) == {"Tableau", "SQL", "Welders"}
        assert view.number_of_edges() == 3
        assert view.nodes[EX + "tableau"]["distance"] == 0

    def test_focus_by_code_and_depth(self, graph):
        assert labels(select_view(graph, focus="cip:48.0508")) == {
            "Welding Technology", "SQL", "programmable logic controller", "Welders",
        }  # fmt: skip
        assert select_view(graph, focus="Tableau", depth=2).number_of_nodes() == 6
        assert select_view(graph, focus="Tableau", depth=0).number_of_nodes() == 1

    def test_focus_by_label_in_another_language(self, graph):
        assert EX + "quote" in select_view(graph, focus="使用工具")

    def test_unknown_focus_suggests_labels(self, graph):
        with pytest.raises(ViewError, match="'Weld'.*did you mean 'Welders', 'Welding Technology'"):
            select_view(graph, focus="Weld")

    def test_min_weight_drops_thin_relations_and_the_concepts_left_without_any(self, graph):
        view = select_view(graph, min_weight=2.5)
        assert sorted((view.nodes[s]["label"], view.nodes[o]["label"]) for s, o in view.edges()) == [
            ("SQL", "Tableau"),
            ("Welding Technology", "programmable logic controller"),
        ]
        assert view.number_of_nodes() == 4

    def test_max_nodes_keeps_the_most_evidence_and_says_what_it_left_out(self, graph):
        # Strength (sum of relation weights): Welders 10, SQL 9.585, PLC 6.585 (2 mentions) ties
        # Welding Technology 6.585 (1 mention), Tableau 5.585, the quoted skill 2.
        view = select_view(graph, max_nodes=3)
        assert labels(view) == {"Welders", "SQL", "programmable logic controller"}
        cut = view.graph["view"]["cut"]
        assert (cut["concepts"], cut["relations"]) == (3, 6)
        assert cut["by_chain"] == {"education": 1, "innovation": 1, "talent": 1}
        assert describe_view(view)[-1] == (
            "Left out by max-nodes 3 (kept those with the most evidence): 3 concepts (education 1, innovation 1, "
            f"talent 1) and 6 relations; the strongest left out: Welding Technology; Tableau; {QUOTE_LABEL}."
        )

    def test_max_nodes_around_a_focus_keeps_the_focus_first(self, graph):
        view = select_view(graph, focus="Welders", max_nodes=2)
        assert labels(view) == {"Welders", "SQL"}

    def test_lang_picks_labels_with_fallback(self, graph):
        view = select_view(graph, lang="zh")
        assert view.nodes[EX + "quote"]["label"] == "使用工具"
        assert view.nodes[EX + "sql"]["label"] == "SQL"


# ---------------------------------------------------------------------- the page as written


class TestPage:
    def test_self_contained(self, page):
        text = page.read_text(encoding="utf-8")
        lowered = text.lower()
        for fetching in ("<script src", "<link", "<img", "<iframe", "@import", "url(http", "url(//"):
            assert fetching not in lowered
        assert "vis.Network" in text and "sourceMappingURL" not in text

    def test_hostile_text_is_data_not_markup(self, page):
        text = page.read_text(encoding="utf-8")
        assert HOSTILE_TITLE not in text and HOSTILE_TAIL not in text and QUOTE_LABEL not in text
        assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text  # there, as JSON-escaped text

    def test_title_is_escaped(self, graph):
        assert "<title>&lt;b&gt;jobs&lt;/b&gt;</title>" in graph_view(graph, title="<b>jobs</b>").html

    def test_same_graph_same_page(self, graph):
        assert graph_view(graph).html == graph_view(graph).html

    def test_notebook_display_is_a_sandboxed_self_contained_iframe(self, graph, tmp_path, monkeypatch):
        view = graph_view(graph)
        shown = view._repr_html_()
        assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and 'sandbox="allow-scripts"' in shown
        assert "<script" not in shown
        assert view.show(notebook=True) is view  # Jupyter shows it by _repr_html_
        assert view.show(tmp_path / "n.html", notebook=True) is view and (tmp_path / "n.html").exists()
        opened = []
        monkeypatch.setattr("webbrowser.open", opened.append)
        written = view.show(tmp_path / "v.html", notebook=False)
        assert written.read_text(encoding="utf-8") == view.html and opened == [written.resolve().as_uri()]

    def test_bad_size_by(self, graph):
        with pytest.raises(ViewError, match="size-by"):
            graph_view(graph, size_by="colour")


# ---------------------------------------------------------------------- the page in a browser


def assert_offline_and_inert(result: dict) -> None:
    assert result["state"] is not None, "the page never drew"
    assert result["dialogs"] == [], "injected script ran"
    assert result["exceptions"] == []
    assert all(url.startswith(("file://", "data:", "about:")) for url in result["requests"]), result["requests"]
    assert all(url.startswith(("file://", "data:", "about:")) for url in result["state"]["resources"])
    assert result["state"]["images"] == 0


class TestInBrowser:
    def test_draws_every_node_and_edge_and_search_finds_a_node(self, browser, page):
        result = browser.load(page.as_uri() + "#search=quoted")
        assert_offline_and_inert(result)
        state = result["state"]
        assert (state["nodes"], state["edges"]) == (6, 9)
        assert state["search"] == {"query": "quoted", "hits": [QUOTE_LABEL]}
        assert state["selected"] == QUOTE_LABEL

    def test_hostile_title_and_sentence_show_as_text(self, browser, page):
        state = browser.load(page.as_uri() + "#search=quoted")["state"]
        # The details panel's text (textContent) holds the markup literally: it was never parsed.
        assert f'Welders use "quoted" <tools> on site {HOSTILE_TAIL}' in state["details"]
        assert f"{HOSTILE_TITLE} (welder.txt)" in state["details"]

    def test_tooltip_names_class_chain_and_evidence_as_text(self, browser, page):
        def hover(browser, session):
            # The node's place on screen, then a real mouse move there: vis-network shows its tooltip.
            point = browser.evaluate(
                session,
                "(() => { const v = window.chaingraph, id = v.search('quoted')[0];"
                " const p = v.network.canvasToDOM(v.network.getPositions([id])[id]);"
                " const box = document.getElementById('cg-network').getBoundingClientRect();"
                " return {x: box.left + p.x, y: box.top + p.y}; })()",
            )
            for dx in (1, 0):
                browser.call("Input.dispatchMouseEvent", session, type="mouseMoved", x=point["x"] + dx, y=point["y"])
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                tip = browser.evaluate(
                    session,
                    "(() => { const t = document.querySelector('.vis-tooltip');"
                    " return t && t.style.visibility !== 'hidden' ? t.innerText : null; })()",
                )
                if tip:
                    return tip
                time.sleep(0.1)
            return None

        result = browser.load(page.as_uri(), then=hover)
        assert_offline_and_inert(result)
        assert result["then"].splitlines() == [
            QUOTE_LABEL,
            "使用工具",
            "Skill · talent · esco",
            "1 mention in 1 document · 1 relation",
            f'“Welders use "quoted" <tools> on site {HOSTILE_TAIL}”',
            f"— {HOSTILE_TITLE}",
        ]

    @pytest.mark.parametrize(
        ("fragment", "nodes", "edges"),
        [("chains=talent", 4, 4), ("classes=Skill,Technology", 4, 2), ("chains=education,innovation", 2, 0)],
    )
    def test_filters(self, browser, page, fragment, nodes, edges):
        result = browser.load(f"{page.as_uri()}#{fragment}")
        assert_offline_and_inert(result)
        assert (result["state"]["nodes"], result["state"]["edges"]) == (nodes, edges)

    def test_an_empty_view_still_draws(self, browser, graph, tmp_path):
        view = graph_view(graph, chains=["industry"])  # the mini corpus has no industry
        result = browser.load(view.write(tmp_path / "empty.html").as_uri())
        assert_offline_and_inert(result)
        assert (result["state"]["nodes"], result["state"]["edges"]) == (0, 0)
        assert result["state"]["summary"].startswith("Showing 0 of 6 concepts")

    def test_any_networkx_graph(self, browser, tmp_path):
        view = graph_view(nx.path_graph(5, create_using=nx.DiGraph))  # no class, chain or label
        result = browser.load(view.write(tmp_path / "path.html").as_uri() + "#search=3")
        assert_offline_and_inert(result)
        assert (result["state"]["nodes"], result["state"]["edges"], result["state"]["selected"]) == (5, 4, "3")

    def test_in_a_notebook_iframe(self, browser, graph, tmp_path):
        # What Jupyter renders: the _repr_html_ iframe; its page reports back through postMessage.
        host = tmp_path / "notebook.html"
        host.write_text(
            "<!DOCTYPE html><meta charset=utf-8><div id=cg-state data-ready=false></div>"
            + graph_view(graph)._repr_html_()
            + "<script>addEventListener('message', (e) => { const s = document.getElementById('cg-state');"
            " s.textContent = JSON.stringify(e.data.chaingraph); s.dataset.ready = e.data.chaingraph.ready; });"
            "</script>",
            encoding="utf-8",
        )
        result = browser.load(host.as_uri())
        assert_offline_and_inert(result)
        assert (result["state"]["nodes"], result["state"]["edges"]) == (6, 9)

    def test_a_large_view_is_cut_drawn_quickly_and_says_so(self, browser, tmp_path):
        big = nx.gnm_random_graph(2500, 6000, seed=3, directed=True)
        classes = ["Skill", "Technology", "Occupation", "Programme", "Industry"]
        chains = ["talent", "innovation", "talent", "education", "industry"]
        for n in big:
            big.nodes[n].update(cls=classes[n % 5], chain=chains[n % 5], label=f"concept {n}", labels={})
        for s, o in big.edges():
            big.edges[s, o].update(predicate="relatedTo", documents=1, sentences=1, weight=1.0 + (s * o) % 7)
        view = graph_view(big, max_nodes=2000)
        wanted = view.graph.nodes[17 if 17 in view.graph else next(iter(view.graph))]["label"]
        result = browser.load(view.write(tmp_path / "big.html").as_uri() + f"#search={wanted}")
        assert_offline_and_inert(result)
        state = result["state"]
        assert (state["nodes"], state["edges"]) == (2000, view.graph.number_of_edges())
        assert state["search"]["hits"][0] == wanted == state["selected"]
        assert "Left out by max-nodes 2,000 (kept those with the most evidence): 500 concepts" in state["summary"]
        assert state["drawMs"] < 15_000  # the target is 5 s (bench/view_render.py); slack for busy CI machines


# ---------------------------------------------------------------------- exports


class TestExport:
    def test_gexf_for_gephi(self, graph, tmp_path):
        assert export_view(graph, tmp_path / "v.gexf", "gexf") == [tmp_path / "v.gexf"]
        back = nx.read_gexf(tmp_path / "v.gexf")
        assert (back.number_of_nodes(), back.number_of_edges()) == (6, 9)
        assert back.nodes[EX + "quote"]["label"] == QUOTE_LABEL
        assert back.nodes[PROGRAMME]["viz"]["color"] == {"r": 0, "g": 114, "b": 178, "a": 1.0}
        assert back.edges[PROGRAMME, WELDERS]["predicate"] == "preparesFor"

    def test_graphml_with_the_same_filters_as_the_page(self, store, tmp_path):
        export_view(store, tmp_path / "v.graphml", "graphml", chains=["talent"], lang="zh")
        back = nx.read_graphml(tmp_path / "v.graphml")
        assert (back.number_of_nodes(), back.number_of_edges()) == (4, 4)
        assert back.nodes[EX + "quote"]["label"] == "使用工具" and back.nodes[EX + "quote"]["label_en"] == QUOTE_LABEL
        assert {"x", "y", "colour", "chain", "cls", "code"} <= set(back.nodes[WELDERS])

    def test_csv_relations_and_concepts(self, graph, tmp_path):
        written = export_view(graph, tmp_path / "v.csv", "csv")
        assert written == [tmp_path / "v.csv", tmp_path / "v.nodes.csv"]
        with open(tmp_path / "v.csv", encoding="utf-8", newline="") as file:
            relations = list(csv.DictReader(file))
        assert len(relations) == 9
        teaches = next(r for r in relations if r["Source"] == PROGRAMME and r["Target"] == EX + "plc")
        assert (teaches["Label"], teaches["Weight"], teaches["source_label"]) == (
            "teaches",
            "2.585",
            "Welding Technology",
        )
        with open(tmp_path / "v.nodes.csv", encoding="utf-8", newline="") as file:
            concepts = {row["Id"]: row for row in csv.DictReader(file)}
        assert concepts[EX + "quote"]["Label"] == QUOTE_LABEL and len(concepts) == 6

    def test_csv_keeps_formulas_as_text_and_writes_to_a_stream(self):
        g = nx.DiGraph()
        g.add_node("a", cls="Skill", chain="talent", label="=HYPERLINK(1)")
        g.add_node("b", cls="Skill", chain="talent", label="b")
        g.add_edge("a", "b", predicate="relatedTo", weight=1.0)
        stream = io.BytesIO()
        assert export_view(g, stream, "csv") == []
        assert "'=HYPERLINK(1)" in stream.getvalue().decode("utf-8")

    def test_unknown_format(self, graph, tmp_path):
        with pytest.raises(ViewError, match="gexf, graphml, csv"):
            export_view(graph, tmp_path / "v.xlsx", "xlsx")


class TestExportCommandHelper:
    """``chaingraph export --format gexf|graphml|csv`` hands over to :func:`export_graph_view`."""

    def test_to_a_file(self, store, tmp_path):
        export_graph_view("graphml", tmp_path / "v.graphml", str(store), focus="Tableau", depth=1)
        assert nx.read_graphml(tmp_path / "v.graphml").number_of_nodes() == 3

    def test_to_standard_output(self, store):
        stream = io.BytesIO()
        export_graph_view("csv", None, str(store), chains="talent", stdout=stream)
        assert len(stream.getvalue().decode("utf-8").splitlines()) == 1 + 4

    def test_usage_error(self, store):
        with pytest.raises(typer.Exit) as exit_:
            export_graph_view("gexf", None, str(store), classes="Skils", stdout=io.BytesIO())
        assert exit_.value.exit_code == 2


# ---------------------------------------------------------------------- the command


class TestViewCommand:
    runner = CliRunner()

    def run(self, *args: str):
        return self.runner.invoke(app, list(args), catch_exceptions=False)

    def test_writes_the_page_and_says_what_it_shows(self, store, tmp_path):
        out = tmp_path / "v.html"
        result = self.run("view", "--out", str(out), "--store", str(store), "--focus", "Tableau", "--depth", "1")
        assert result.exit_code == 0, result.output
        assert "Showing 3 of 6 concepts and 3 of 9 relations." in result.stdout
        assert "chaingraph: Tableau" in out.read_text(encoding="utf-8")

    def test_max_nodes_and_filters(self, store, tmp_path):
        result = self.run(
            "view", "-o", str(tmp_path / "v.html"), "-s", str(store), "--chains", "talent,innovation",
            "--classes", "Skill,Occupation,Technology", "--min-weight", "1", "--max-nodes", "2", "--lang", "zh",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "Left out by max-nodes 2" in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--chains", "skills"], "unknown chain 'skills'"),
            (["--focus", "Nothing"], "no concept of the graph is labelled or identified by 'Nothing'"),
            (["--depth", "2"], "--depth needs --focus"),
        ],
    )
    def test_usage_errors(self, store, tmp_path, args, message):
        result = self.run("view", "--out", str(tmp_path / "v.html"), "--store", str(store), *args)
        assert result.exit_code == 2 and message in result.stderr
        assert not (tmp_path / "v.html").exists()

    def test_missing_store(self, tmp_path):
        result = self.run("view", "--out", str(tmp_path / "v.html"), "--store", str(tmp_path / "none"))
        assert result.exit_code == 1 and "no store at" in result.stderr
