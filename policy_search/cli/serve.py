"""`policy-search serve`: the site on a production WSGI server (waitress)."""
from __future__ import annotations

import logging

import click


@click.command("serve")
@click.option("--host", help="listen address (default: setting host, 127.0.0.1)")
@click.option("--port", type=click.IntRange(0, 65535), help="port (default: setting port, 8000)")
@click.option("--threads", type=click.IntRange(1, 256), help="worker threads (default: setting threads)")
@click.option("--no-sync", is_flag=True, help="do not follow store changes into the index")
@click.pass_obj
def serve_command(settings, host: str | None, port: int | None, threads: int | None,
                  no_sync: bool) -> None:
    """运行网站 (waitress): search page, policy pages, JSON API and feeds."""
    from waitress import serve

    from policy_search.cli import open_store
    from web import create_app

    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = host or settings.host
    port = settings.port if port is None else port
    store = open_store(settings)
    ensure_index(settings, store)
    app = create_app(settings, store=store, start_sync=not no_sync)
    click.echo(f"政策超市 running on http://{host}:{port}/  "
               f"({store.count_policies()} policies, data {settings.data_dir})")
    try:
        serve(app, host=host, port=port, threads=threads or settings.threads,
              ident="policy-search", max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
              max_request_header_size=64 * 1024, channel_timeout=60,
              clear_untrusted_proxy_headers=True)
    finally:
        sync = app.extensions["policy_search"].sync
        if sync is not None:
            sync.stop()


def ensure_index(settings, store) -> None:
    """Build the index first when there are policies but no usable index yet."""
    from index.build import rebuild
    from index.search import SearchIndex

    if SearchIndex(settings.index_path, store=store).is_usable() or store.count_policies() == 0:
        return
    click.echo(f"索引尚未建立，正在为 {store.count_policies()} 条政策建立索引…")
    rebuild(store, settings.index_path)
