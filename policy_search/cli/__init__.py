"""The `policy-search` command: the one place that wires the layers together.

Subcommands live in modules of this package and are loaded only when called, so
`policy-search stats` does not pay for jieba, Whoosh or Flask.
"""
from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import click

from policy_search.settings import load_settings

# jieba and Whoosh emit SyntaxWarnings on newer Pythons; silence only theirs.
warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

# command name -> "module:attribute"
COMMANDS = {
    "import": "policy_search.cli.data:import_command",
    "stats": "policy_search.cli.data:stats_command",
    "clean-bodies": "policy_search.cli.data:clean_bodies_command",
    "settings": "policy_search.cli.data:settings_command",
    "crawl": "policy_search.cli.crawl:crawl_command",
    "extract": "policy_search.cli.crawl:extract_command",
    "index": "policy_search.cli.indexing:index_group",
    "search": "policy_search.cli.search:search_command",
    "serve": "policy_search.cli.serve:serve_command",
    "run": "policy_search.cli.run:run_command",
    "sources": "policy_search.cli.sources:sources_group",
    "worker": "policy_search.cli.jobs:worker_command",
    "jobs": "policy_search.cli.jobs:jobs_group",
    "tag": "policy_search.cli.tagging:tag_group",
    "user": "policy_search.cli.users:user_group",
    "card": "policy_search.cli.cards:card_group",
    "kind": "policy_search.cli.kinds:kind_group",
    "subscribe": "policy_search.cli.notify:subscribe_group",
    "notify": "policy_search.cli.notify:notify_command",
    "metadata": "policy_search.cli.metadata:metadata_group",
    "digest": "policy_search.cli.outputs:digest_command",
    "export": "policy_search.cli.outputs:export_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="数据目录 (store, index, logs); default ./data or $POLICY_SEARCH_DATA_DIR")
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TOML settings file; default $POLICY_SEARCH_CONFIG or DATA_DIR/config.toml")
@click.version_option(package_name="policy-search")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, config: Path | None) -> None:
    """政策超市 — crawl, import, index and search enterprise-support policies."""
    try:
        ctx.obj = load_settings(config=config, data_dir=data_dir)
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from exc


def open_store(settings):
    """The store of the selected data directory (created on first use)."""
    from policy_search.domain.store import Store

    return Store(settings.db_path)
