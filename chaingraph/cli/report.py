"""``chaingraph report``: one self-contained HTML page on the four chains, with its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chaingraph.cli.main import StoreOption, app, fail, out

LangOption = Annotated[str, typer.Option("--lang", help="Language of concept labels (en, zh); English as fallback.")]


@app.command("report")
def report_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write index.html and the tables into.")],
    store: StoreOption = None,
    lang: LangOption = "en",
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per table and chart.")] = 30,
) -> None:
    """Write an HTML report (coupling, gaps, weak links, islands, suggestions, trend) and print its path."""
    from chaingraph.resources import default_store_path
    from chaingraph.store import StoreError
    from chaingraph.views.report import write_report

    try:
        index = write_report(store or default_store_path(), out_dir, lang=lang, top=top)
    except (StoreError, OSError, ValueError) as error:
        raise fail(str(error)) from None
    out.print(str(index), markup=False)
