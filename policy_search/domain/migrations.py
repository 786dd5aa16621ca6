"""Versioned schema migrations of the store.

`PRAGMA user_version` holds the number of migrations applied. A migration is never
edited once released: change the schema by appending a new one.
"""
from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: policies, attachments, tags, audit, users, sources, jobs
    """
    CREATE TABLE policies (
        id TEXT PRIMARY KEY,
        url TEXT,
        source_id TEXT NOT NULL DEFAULT '',
        level TEXT,
        region_code TEXT,
        region_name TEXT,
        title TEXT NOT NULL,
        issuer TEXT,
        doc_number TEXT,
        doc_number_key TEXT,
        index_number TEXT,
        subject TEXT,
        written_date TEXT,
        publish_date TEXT,
        effective_date TEXT,
        expiry_date TEXT,
        validity TEXT NOT NULL DEFAULT '未知',
        doc_kind TEXT NOT NULL DEFAULT '政策原文',
        interprets TEXT,
        body_text TEXT NOT NULL DEFAULT '',
        body_html TEXT NOT NULL DEFAULT '',
        review_state TEXT NOT NULL DEFAULT 'new',
        content_hash TEXT NOT NULL,
        fetched_at TEXT,
        first_seen_at TEXT,
        updated_at TEXT
    );
    CREATE TABLE attachments (
        policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        media_type TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        no_text_layer INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (policy_id, position)
    );
    CREATE TABLE tags (
        policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        facet TEXT NOT NULL,
        value TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('auto', 'staff')),
        confidence REAL NOT NULL DEFAULT 1.0,
        evidence TEXT NOT NULL DEFAULT '',
        by_user TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        rejected INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (policy_id, facet, value)
    );
    CREATE TABLE tag_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        policy_id TEXT NOT NULL,
        facet TEXT NOT NULL,
        value TEXT NOT NULL,
        action TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL DEFAULT 1,
        last_run_at TEXT,
        last_status TEXT,
        last_error TEXT,
        runs INTEGER NOT NULL DEFAULT 0,
        zero_runs INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        state_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        args TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        step TEXT NOT NULL DEFAULT '',
        log TEXT NOT NULL DEFAULT '',
        error TEXT,
        created_by TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        pid INTEGER
    );
    """,
    # 2: several source links per policy (the same document reposted by several sites),
    #    the change log the index follows, and the indexes list pages need
    """
    CREATE TABLE policy_links (
        policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        source_id TEXT NOT NULL DEFAULT '',
        first_seen_at TEXT NOT NULL,
        PRIMARY KEY (policy_id, url)
    );
    INSERT INTO policy_links (policy_id, url, source_id, first_seen_at)
        SELECT id, url, source_id, coalesce(first_seen_at, '') FROM policies WHERE url IS NOT NULL;
    CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        policy_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX policies_doc_number_key ON policies (doc_number_key);
    CREATE INDEX policies_publish_date ON policies (publish_date);
    CREATE INDEX policies_review_state ON policies (review_state);
    CREATE INDEX policies_source ON policies (source_id);
    CREATE INDEX tag_audit_policy ON tag_audit (policy_id);
    """,
    # 3: staff review — taxonomy values added by staff (every version kept), an edit
    #    version per policy (optimistic concurrency: a second save is told about the
    #    first), the re-review flag, the content the auto tags were computed from, and
    #    staff overrides of document fields (validity, doc kind, 惠及对象 summary)
    """
    CREATE TABLE taxonomy_values (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        facet TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        active INTEGER NOT NULL DEFAULT 1,
        by_user TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (facet, value, version)
    );
    ALTER TABLE policies ADD COLUMN edit_version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE policies ADD COLUMN rereview_reason TEXT;
    ALTER TABLE policies ADD COLUMN auto_tagged_hash TEXT;
    CREATE TABLE policy_staff_fields (
        policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (policy_id, field)
    );
    CREATE INDEX tag_audit_at ON tag_audit (at);
    """,
    # 4: the job queue's control data (beside `jobs`, whose columns the Job dataclass
    #    mirrors): cancel requests, the identity of the process running a job (pid plus
    #    its start time, so a reused pid is not taken for a live worker), heartbeats, the
    #    result figures, and one active job per lock key (one reindex at a time) enforced
    #    by a partial unique index; the last slot each crawl schedule fired for; live workers
    """
    CREATE TABLE job_control (
        job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        lock_key TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        cancelled_by TEXT,
        host TEXT,
        proc_start TEXT,
        heartbeat_at TEXT,
        result TEXT NOT NULL DEFAULT '{}'
    );
    CREATE UNIQUE INDEX job_control_one_active ON job_control (lock_key)
        WHERE active = 1 AND lock_key IS NOT NULL;
    CREATE INDEX jobs_state ON jobs (state, id);
    CREATE TABLE schedule_runs (
        name TEXT PRIMARY KEY,
        last_slot TEXT NOT NULL,
        job_id INTEGER,
        at TEXT NOT NULL
    );
    CREATE TABLE workers (
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        proc_start TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        job_id INTEGER,
        PRIMARY KEY (host, pid, proc_start)
    );
    """,
    # 5: the policy card (惠及对象, 申报条件, 支持标准, 申报时间, 受理地址, 咨询电话; several
    #    items per field, each with its evidence sentence; staff items win over auto ones
    #    field by field) and what is derived from the text apart from the content hash:
    #    the application window, the effective/expiry dates of the validity clauses and
    #    the later document that repeals a policy
    """
    CREATE TABLE policy_cards (
        policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('auto', 'staff')),
        position INTEGER NOT NULL,
        value TEXT NOT NULL,
        evidence TEXT NOT NULL DEFAULT '',
        by_user TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        PRIMARY KEY (policy_id, field, origin, position)
    );
    CREATE TABLE policy_derived (
        policy_id TEXT PRIMARY KEY REFERENCES policies(id) ON DELETE CASCADE,
        deadline_kind TEXT NOT NULL DEFAULT 'unknown',
        deadline_start TEXT,
        deadline_end TEXT,
        deadline_recur_start TEXT,
        deadline_recur_end TEXT,
        deadline_text TEXT NOT NULL DEFAULT '',
        deadline_evidence TEXT NOT NULL DEFAULT '',
        deadline_relative INTEGER NOT NULL DEFAULT 0,
        effective_date TEXT,
        expiry_date TEXT,
        effective_evidence TEXT NOT NULL DEFAULT '',
        expiry_evidence TEXT NOT NULL DEFAULT '',
        has_validity_clause INTEGER NOT NULL DEFAULT 0,
        repeals TEXT NOT NULL DEFAULT '[]',
        repealed_by TEXT,
        repeal_evidence TEXT NOT NULL DEFAULT '',
        source_hash TEXT,
        computed_at TEXT NOT NULL
    );
    CREATE INDEX policy_derived_deadline_end ON policy_derived (deadline_end);
    CREATE INDEX policy_derived_expiry ON policy_derived (expiry_date);
    CREATE INDEX policy_derived_repealed_by ON policy_derived (repealed_by);
    """,
    # 6: the look-ups of a policy page — its interpretations and the policies sharing its
    #    tags — scanned whole tables (tens of ms each at 37k policies)
    """
    CREATE INDEX policies_interprets ON policies (interprets);
    CREATE INDEX tags_facet_value ON tags (facet, value, rejected, policy_id);
    """,
    # 7: failed staff logins (key: "user:<name>" or "ip:<address>"; at: Unix time), so
    #    that every web process of `serve --workers N` counts them together and a
    #    restart does not forget them
    """
    CREATE TABLE login_failures (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX login_failures_key ON login_failures (key, at);
    """,
    # 8: why an attachment gave no text (unsupported format, encrypted, broken, garbled
    #    PDF fonts…), shown on the policy and per source on the admin sources page
    """
    ALTER TABLE attachments ADD COLUMN text_error TEXT NOT NULL DEFAULT '';
    """,
    # 9: what a document is becomes derived (policy_search.domain.kinds: 惠企措施, 申报通知, 政策解读,
    #    法律法规, 司法解释, 工作报告与规划, 公告公示, 其他) with the 惠企 flag, each with its
    #    evidence. The kind importers and the crawler stated (政策原文 / 政策解读 / 申报通知 /
    #    其他) stays as `source_kind`, a clue. Staff corrections in the old scheme that the
    #    new one also has are kept; "政策原文" only said "not an interpretation", so it is
    #    dropped (audited) and the derived kind shows instead.
    """
    ALTER TABLE policies RENAME COLUMN doc_kind TO source_kind;
    CREATE TABLE policy_kinds (
        policy_id TEXT PRIMARY KEY REFERENCES policies(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        kind_evidence TEXT NOT NULL DEFAULT '[]',
        huiqi INTEGER NOT NULL DEFAULT 0,
        huiqi_evidence TEXT NOT NULL DEFAULT '[]',
        source_hash TEXT,
        computed_at TEXT NOT NULL
    );
    CREATE INDEX policy_kinds_kind ON policy_kinds (kind, huiqi);
    INSERT INTO tag_audit (policy_id, facet, value, action, by_user, at, detail)
        SELECT policy_id, 'field', 'doc_kind', 'set_field', 'migration',
               strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'),
               '{"old": "' || value || '", "new": null, "note": "文件类型改为自动判定"}'
        FROM policy_staff_fields WHERE field = 'doc_kind' AND value NOT IN
            ('惠企措施', '申报通知', '政策解读', '法律法规', '司法解释', '工作报告与规划', '公告公示', '其他');
    DELETE FROM policy_staff_fields WHERE field = 'doc_kind' AND value NOT IN
        ('惠企措施', '申报通知', '政策解读', '法律法规', '司法解释', '工作报告与规划', '公告公示', '其他');
    """,
    # 10: staff sessions known to the server (a hash of the token the signed cookie holds),
    #    so that logging out ends the session in every web process, even for a copy of
    #    the cookie
    """
    CREATE TABLE staff_sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        started_at REAL NOT NULL
    );
    CREATE INDEX staff_sessions_user ON staff_sessions (username);
    """,
    # 11: subscriptions (a search or a /match profile pushed by e-mail or to a group robot):
    #    the subscription with its delivery state (created_seq: the change log's end when
    #    it was made; seen_seq: the position its last round looked up to, NULL until the
    #    first round took its starting point),
    #    every policy it knows (baseline: matched when it started, never sent; pending;
    #    sent), the log of every delivery attempt, and subscribe requests per client
    #    address (rate limit)
    """
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('search', 'match')),
        query TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'wecom', 'dingtalk', 'feishu')),
        address TEXT NOT NULL,
        secret TEXT NOT NULL DEFAULT '',
        frequency TEXT NOT NULL CHECK (frequency IN ('day', 'week')),
        name TEXT NOT NULL DEFAULT '',
        token TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'paused')),
        pause_reason TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        created_seq INTEGER NOT NULL DEFAULT 0,
        confirmed_at TEXT,
        seen_seq INTEGER,
        last_sent_at TEXT,
        last_attempt_at TEXT,
        next_attempt_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_until TEXT
    );
    CREATE INDEX subscriptions_state ON subscriptions (state);
    CREATE TABLE subscription_policies (
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        policy_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('baseline', 'pending', 'sent')),
        at TEXT NOT NULL,
        delivery_id INTEGER,
        PRIMARY KEY (subscription_id, policy_id)
    ) WITHOUT ROWID;
    CREATE INDEX subscription_policies_state ON subscription_policies (subscription_id, state);
    CREATE TABLE subscription_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        purpose TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        policies INTEGER NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX subscription_deliveries_sub ON subscription_deliveries (subscription_id, id);
    CREATE TABLE subscribe_requests (
        address TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX subscribe_requests_address ON subscribe_requests (address, at);
    """,
    # 12: who last marked a policy reviewed and when (the reviewed list shows it); a policy
    #    marked reviewed while suggestions were still open (the bulk action of old did
    #    that) goes back to the queue: reviewed now means no suggestion is left undecided
    """
    ALTER TABLE policies ADD COLUMN reviewed_by TEXT;
    ALTER TABLE policies ADD COLUMN reviewed_at TEXT;
    UPDATE policies SET
        reviewed_by = (SELECT a.by_user FROM tag_audit AS a WHERE a.policy_id = policies.id
                       AND a.action = 'review' AND a.value = 'reviewed' ORDER BY a.id DESC LIMIT 1),
        reviewed_at = (SELECT a.at FROM tag_audit AS a WHERE a.policy_id = policies.id
                       AND a.action = 'review' AND a.value = 'reviewed' ORDER BY a.id DESC LIMIT 1)
        WHERE review_state = 'reviewed';
    INSERT INTO tag_audit (policy_id, facet, value, action, by_user, at, detail)
        SELECT id, '', 'new', 'rereview', 'migration', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'),
               '审核时仍有未处理的建议标签，退回待审核'
        FROM policies WHERE review_state = 'reviewed' AND EXISTS (SELECT 1 FROM tags AS t
            WHERE t.policy_id = policies.id AND t.origin = 'auto' AND t.rejected = 0);
    INSERT INTO change_log (policy_id, kind, at)
        SELECT id, 'reviewed', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        FROM policies WHERE review_state = 'reviewed' AND EXISTS (SELECT 1 FROM tags AS t
            WHERE t.policy_id = policies.id AND t.origin = 'auto' AND t.rejected = 0);
    UPDATE policies SET review_state = 'new',
        rereview_reason = '审核时仍有未处理的建议标签'
        WHERE review_state = 'reviewed' AND EXISTS (SELECT 1 FROM tags AS t
            WHERE t.policy_id = policies.id AND t.origin = 'auto' AND t.rejected = 0);
    """,
    # 13: 热门搜索 — how often a normalized query that found something was searched per
    #    day; nothing about who searched (policy_search/query_log.py)
    """
    CREATE TABLE query_counts (
        day TEXT NOT NULL,
        query TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, query)
    ) WITHOUT ROWID;
    """,
]


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply the migrations the database lacks, all in one transaction: an upgrade that
    fails leaves the database as it was (still usable by the program version before), and
    a new store is written with one commit instead of one per migration."""
    target = len(MIGRATIONS) if target is None else target
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {version} is newer than this program ({len(MIGRATIONS)})"
        )
    if version >= target:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, target):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {max(version, target)}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> list[str]:
    """executescript() would commit on its own; split so each runs inside our transaction."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
