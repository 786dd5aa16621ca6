"""Every setting in one place: its default, its type and one line of help.

Precedence, lowest first: defaults < config file (TOML) < POLICY_SEARCH_* environment
variables < command-line options. The config file is `--config PATH`, else
$POLICY_SEARCH_CONFIG, else `config.toml` inside the data directory when it exists.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV_PREFIX = "POLICY_SEARCH_"


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    data_dir: Path = _setting(Path("data"), "数据目录: the SQLite store, the index, logs")
    index_dir: Path | None = _setting(None, "索引目录: the Whoosh index (default DATA_DIR/index)")
    secret_key: str = _setting("", "Flask session key (default: generated once into DATA_DIR/secret_key)")
    host: str = _setting("127.0.0.1", "address the site listens on")
    port: int = _setting(8000, "port the site listens on")
    threads: int = _setting(4, "threads per WSGI worker process (more adds queueing, not speed, on 2 cores)")
    crawl_delay: float = _setting(1.5, "minimum seconds between two requests to one host")
    crawl_jitter: float = _setting(0.5, "random extra seconds added to each delay")
    crawl_timeout: float = _setting(20.0, "read timeout of one HTTP request, seconds")
    crawl_connect_timeout: float = _setting(10.0, "connect timeout of one HTTP request, seconds")
    crawl_retries: int = _setting(3, "retries on 429/5xx and network errors")
    crawl_max_bytes: int = _setting(20_000_000, "largest page or attachment accepted, bytes")
    crawl_max_pages: int = _setting(200, "list pages read per source and run (default)")
    crawl_parallel_hosts: int = _setting(
        4, "sources on different hosts crawled at once (each host still gets one connection"
        " and its delay); 1 = one source after another")
    crawl_attachments_per_page: int = _setting(
        30, "attachments downloaded per page and run (the rest are listed, marked 未下载, and"
        " fetched by later crawls)")
    crawl_attachments_per_run: int = _setting(
        300, "attachments downloaded per source and run (the rest wait for later crawls)")
    recheck_days: int = _setting(
        90, "re-crawls re-check documents published in the last N days for edits"
        " (conditional GET), not only those on changed list pages; 0 = off")
    recheck_every_days: int = _setting(7, "a recent document is re-checked when its last check is this many days old")
    user_agent: str = _setting(
        "Mozilla/5.0 (compatible; PolicySearchBot/0.1; +{contact_url})",
        "User-Agent sent by the crawler ({contact_url} is filled in)",
    )
    contact_url: str = _setting("https://example.org/policy-search-bot", "contact page named in the User-Agent")
    sources_file: Path | None = _setting(None, "TOML file of crawl sources replacing the shipped ones")
    search_page_size: int = _setting(10, "results per page by default")
    search_max_page_size: int = _setting(100, "largest page size a client may ask for")
    log_level: str = _setting("INFO", "logging level")
    crawl_schedule: str = _setting(
        "", "when the worker starts a crawl of all sources: daily times like \"02:00\" or"
        " \"02:00, 14:00\", optionally with days (\"mon,thu 02:00\", \"mon-fri 03:30\"); empty = off")
    schedule_timezone: str = _setting("Asia/Shanghai", "time zone of crawl_schedule")
    worker_poll_interval: float = _setting(2.0, "seconds the job worker waits between looks at the queue")
    session_cookie_secure: str = _setting(
        "auto", "auto = staff login cookies are Secure when the request came over HTTPS (directly or"
        " through a trusted proxy), and a login over plain http is refused unless it comes from this"
        " machine; 1 = always Secure (no login over http at all); 0 = never: allow staff login over"
        " plain http, on a trusted internal network only")
    trusted_proxies: str = _setting(
        "", "reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or"
        " networks, comma-separated (e.g. \"127.0.0.1, 10.0.0.0/8\"); empty = none")
    session_minutes: int = _setting(480, "a staff session ends after this many minutes without a request")
    login_max_failures: int = _setting(5, "failed logins per account (and 4x per IP) in 15 minutes before logins are paused")
    crawl_since: str = _setting(
        "2019-01-01", "the first crawl (queued by `run` while nothing is crawled or imported yet)"
        " follows list pages back to policies published on or after this date")
    starter_snapshot: str = _setting(
        "builtin", "离线快照 loaded by `run` into an empty store: builtin = the shipped national and"
        " provincial 惠企 policies; off = none; or a JSONL/CSV/XLSX file of your own")
    import_max_bytes: int = _setting(50_000_000, "largest file an admin may upload on /admin/jobs to import, bytes")
    public_base_url: str = _setting(
        "", "the site's public address (e.g. https://zc.example.gov.cn): absolute links in feeds,"
        " the API and pushed messages are built from it, never from a request's Host header; empty ="
        " the request's own host (such responses are then not cached publicly), fit only for a local test")
    notify_schedule: str = _setting(
        "", "when the worker runs a delivery round of the subscriptions, same syntax as"
        " crawl_schedule (a round also follows each crawl or import); empty = only after those")
    webhook_allowed_hosts: str = _setting(
        "qyapi.weixin.qq.com, oapi.dingtalk.com, open.feishu.cn, open.larksuite.com",
        "hosts a group-robot webhook may point at (host or host:port, comma-separated; the"
        " platforms' official hosts only over https); list an intranet or loopback host to allow it")
    subscribe_max_per_hour: int = _setting(10, "subscriptions one client address may create on the site per hour")
    smtp_host: str = _setting("", "SMTP server for e-mail subscriptions; empty = e-mail off")
    smtp_port: int = _setting(587, "SMTP port (465 = TLS from the start)")
    smtp_user: str = _setting("", "SMTP login name; empty = no login")
    smtp_password: str = _setting("", "SMTP password")
    smtp_starttls: int = _setting(1, "1 = upgrade the SMTP connection with STARTTLS (not on port 465); 0 = plain (a local relay)")
    mail_from: str = _setting("", "sender of the e-mails, e.g. 政策超市 <noreply@example.gov.cn>")

    def cookie_secure_mode(self) -> str:
        """session_cookie_secure as "auto", "always" or "never" (ValueError when unreadable)."""
        value = str(self.session_cookie_secure).strip().lower()
        if value in ("auto", ""):
            return "auto"
        if value in ("1", "true", "yes", "on", "always"):
            return "always"
        if value in ("0", "false", "no", "off", "never"):
            return "never"
        raise ValueError(f"setting session_cookie_secure: {value!r} (use auto, 1 or 0)")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "policies.sqlite3"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    def ensure_secret_key(self) -> str:
        """The configured key, else one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Site workers start together: each writes a whole key to its own file and
            # links it into place; the first link wins and nobody reads a half-written key.
            self.data_dir.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32))
                try:
                    os.link(temp, path)
                except FileExistsError:
                    pass
            finally:
                temp.unlink()
        self.secret_key = path.read_text().strip()
        return self.secret_key


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting: for `--help` and the README."""
    def shown(value) -> str:
        return "(unset)" if value in (None, "") else str(value)

    return [(f.name, shown(f.default), f.metadata["help"]) for f in fields(Settings)]


def _coerce(name: str, raw, kind) -> object:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if raw is None:
            return None
        if "Path" in kind_name:
            return Path(raw).expanduser()
        if kind_name.startswith("int"):
            return int(raw)
        if kind_name.startswith("float"):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ValueError(f"setting {name}: cannot read {raw!r} as {kind_name}") from None


def load_settings(config: str | Path | None = None, environ=None, **overrides) -> Settings:
    """Settings from defaults, config file, environment and explicit overrides (None = unset)."""
    environ = os.environ if environ is None else environ
    known = {f.name: f.type for f in fields(Settings)}
    values: dict[str, object] = {}

    env_values = {
        name: environ[ENV_PREFIX + name.upper()]
        for name in known if ENV_PREFIX + name.upper() in environ
    }
    explicit = {k: v for k, v in overrides.items() if v is not None}
    for key in explicit:
        if key not in known:
            raise ValueError(f"unknown setting: {key}")

    data_dir = explicit.get("data_dir") or env_values.get("data_dir") or "data"
    config_path = config or environ.get(ENV_PREFIX + "CONFIG")
    if config_path is None and (Path(data_dir) / "config.toml").exists():
        config_path = Path(data_dir) / "config.toml"
    if config_path:
        with open(config_path, "rb") as f:
            file_values = tomllib.load(f)
        unknown = set(file_values) - set(known)
        if unknown:
            raise ValueError(f"{config_path}: unknown settings {sorted(unknown)}")
        values.update(file_values)

    values.update(env_values)
    values.update(explicit)
    return Settings(**{name: _coerce(name, raw, known[name]) for name, raw in values.items()})
