"""``chaingraph view``: the graph as one self-contained, interactive HTML page.

Also :func:`export_graph_view`, which ``chaingraph export --format gexf|graphml|csv`` calls to
write the same selection for Gephi and spreadsheets.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from chaingraph.cli.main import StoreOption, app, err, fail, out


class Lang(StrEnum):
    en = "en"
    zh = "zh"


class SizeBy(StrEnum):
    evidence = "evidence"
    degree = "degree"


FocusOption = Annotated[
    str | None, typer.Option("--focus", help="Centre on a concept: its label, IRI or code (cip:48.0508).")
]
DepthOption = Annotated[int | None, typer.Option("--depth", min=0, help="Relations away from the focus (default 1).")]
ChainsOption = Annotated[
    str | None,
    typer.Option("--chains", help="Only these chains, comma-separated: education,talent,industry,innovation."),
]
ClassesOption = Annotated[
    str | None,
    typer.Option("--classes", help="Only these classes, comma-separated: Programme,Course,Occupation,Skill,...."),
]
MinWeightOption = Annotated[float, typer.Option("--min-weight", min=0, help="Only relations of at least this weight.")]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of the labels.")]


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def view_filters(
    focus: str | None,
    depth: int | None,
    chains: str | None,
    classes: str | None,
    min_weight: float,
    max_nodes: int | None,
    lang: str,
) -> dict:
    """The keyword arguments of :func:`chaingraph.views.graph_view.select_view` from the options."""
    if depth is not None and focus is None:
        raise fail("--depth needs --focus", 2)
    return {
        "focus": focus,
        "depth": 1 if depth is None else depth,
        "chains": _split(chains),
        "classes": _split(classes),
        "min_weight": min_weight,
        "max_nodes": max_nodes,
        "lang": str(lang),
    }


def _store_path(store: str | None) -> str:
    from chaingraph.resources import default_store_path

    return store or default_store_path()


@app.command("view")
def view_command(
    output: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    store: StoreOption = None,
    focus: FocusOption = None,
    depth: DepthOption = None,
    chains: ChainsOption = None,
    classes: ClassesOption = None,
    min_weight: MinWeightOption = 0.0,
    max_nodes: Annotated[
        int, typer.Option("--max-nodes", min=1, help="Keep at most this many concepts (the most relevant).")
    ] = 2000,
    lang: LangOption = Lang.en,
    size_by: Annotated[SizeBy, typer.Option("--size-by", help="Node size from evidence or degree.")] = SizeBy.evidence,
    title: Annotated[str | None, typer.Option("--title", help="Title of the page.")] = None,
) -> None:
    """Write the graph as one interactive HTML page (works offline; open it in any browser)."""
    from chaingraph.store import StoreError
    from chaingraph.views.graph_view import graph_view
    from chaingraph.views.selection import ViewError

    filters = view_filters(focus, depth, chains, classes, min_weight, max_nodes, lang)
    try:
        view = graph_view(_store_path(store), size_by=str(size_by), title=title, **filters)
        view.write(output)
    except ViewError as error:
        raise fail(str(error), 2) from None
    except (StoreError, OSError) as error:
        raise fail(str(error)) from None
    for line in view.summary:
        out.print(line, markup=False)
    out.print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)", markup=False)


def export_graph_view(
    fmt: str,
    output: Path | None,
    store: str | None,
    *,
    focus: str | None = None,
    depth: int | None = None,
    chains: str | None = None,
    classes: str | None = None,
    min_weight: float = 0.0,
    max_nodes: int | None = None,
    lang: str = "en",
    stdout: BinaryIO | None = None,
) -> None:
    """Write the view as GEXF, GraphML or CSV to ``output`` (standard output if None): for ``chaingraph export``."""
    import sys

    from chaingraph.store import StoreError
    from chaingraph.views.export import export_view
    from chaingraph.views.selection import ViewError

    filters = view_filters(focus, depth, chains, classes, min_weight, max_nodes, lang)
    target = output if output is not None else (stdout or sys.stdout.buffer)
    try:
        written = export_view(_store_path(store), target, fmt, **filters)
    except ViewError as error:
        raise fail(str(error), 2) from None
    except (StoreError, OSError) as error:
        raise fail(str(error)) from None
    if output is None:
        sys.stdout.flush()
    for path in written:
        err.print(f"wrote {path}", markup=False, highlight=False)
