"""``chaingraph serve``: the store as a read-only SPARQL endpoint (see :mod:`chaingraph.serve`)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from chaingraph.cli.main import StoreOption, app, err, fail

__all__ = ["serve"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on; loopback only unless you say otherwise.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 7878,
    timeout: Annotated[
        float, typer.Option(help="Seconds a query may run; then it is stopped and the answer is 503.")
    ] = 30.0,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            help="Rows (or triples) per answer; a longer result is refused (422: page with LIMIT/OFFSET) "
            "unless the request says truncate=true: then it is cut, with the header Chaingraph-Truncated.",
        ),
    ] = 100_000,
    workers: Annotated[
        int | None, typer.Option(help="Serving processes on the one port (default: two per core, at least 2).")
    ] = None,
    threads: Annotated[int, typer.Option(help="Queries each serving process evaluates at once, on threads.")] = 2,
    allow_update: Annotated[
        bool, typer.Option("--allow-update", help="Accept SPARQL updates that carry the update token.")
    ] = False,
    update_token: Annotated[
        str | None,
        typer.Option(
            "--update-token",
            envvar="CHAINGRAPH_UPDATE_TOKEN",
            help="Token an update must send as 'Authorization: Bearer TOKEN' (with --allow-update).",
        ),
    ] = None,
    cache_mb: Annotated[
        float, typer.Option("--cache-mb", help="Memory for answers of repeated queries (0: no cache).")
    ] = 64.0,
    client_limit: Annotated[
        int | None,
        typer.Option(
            "--client-limit",
            help="Queries a client (address) may have in a serving process before the next waits its turn; "
            "a client under it never waits behind one over it (default: half of --threads, at least 1).",
        ),
    ] = None,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout",
            metavar="SECONDS",
            help="Time a request may take to arrive whole; then 408 and the connection is closed.",
        ),
    ] = 30.0,
    idle_timeout: Annotated[
        float,
        typer.Option("--idle-timeout", metavar="SECONDS", help="Time a kept-alive connection may wait for a request."),
    ] = 5.0,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Append the server log to FILE, with timestamps and the traceback of every server error.",
        ),
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
    allow_service: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-service",
            metavar="URL-PREFIX",
            help="Let SERVICE in queries (and LOAD in updates) call endpoints under this URL prefix; repeatable. "
            "By default the server calls nothing.",
        ),
    ] = None,
) -> None:
    """Serve the store over HTTP: SPARQL 1.1 Protocol at /query, a query page at /."""
    from chaingraph.resources import default_store_path
    from chaingraph.serve.app import ServeConfig, default_workers
    from chaingraph.serve.app import serve as run_server
    from chaingraph.serve.supervisor import ServeError
    from chaingraph.store import StoreError, open_store

    given = store if store is not None else default_store_path()
    if given.startswith(("http://", "https://")):
        raise fail(f"{given}: chaingraph serve serves a store directory, not a remote endpoint", 2)
    location = Path(given)
    try:
        config = ServeConfig(
            store=location,
            timeout=timeout,
            max_rows=max_rows,
            workers=workers if workers is not None else default_workers(),
            threads=threads,
            allow_update=allow_update,
            update_token=update_token,
            cache_mb=cache_mb,
            client_limit=client_limit,
            request_timeout=request_timeout,
            idle_timeout=idle_timeout,
            allow_service=tuple(allow_service or ()),
        )
        exists = open_store(location).exists()
    except ValueError as error:
        raise fail(str(error), 2) from None
    except StoreError as error:
        raise fail(str(error)) from None
    if not exists:
        err.print(f"[yellow]warning:[/yellow] {location} holds no graph yet (run chaingraph build)")
    if not _is_loopback(host):
        err.print(f"[yellow]warning:[/yellow] listening on {host}: other machines can query the store")
    err.print(f"SPARQL endpoint http://{host}:{port}/query, query page http://{host}:{port}/", markup=False)
    try:
        run_server(config, host, port, access_log=access_log, log_file=log)
    except ServeError as error:
        raise fail(str(error)) from None
