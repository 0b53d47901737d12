-- Kakou store schema (SQLite). Times are Unix milliseconds (BIGINT) so that one set of queries
-- works on SQLite and PostgreSQL through sqlx's Any driver; booleans are 0/1.
CREATE TABLE orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('hospital', 'municipality', 'creator')),
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('uploader', 'operator', 'committee', 'researcher', 'admin')),
    password_hash TEXT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled BIGINT NOT NULL DEFAULT 0,
    setup_token_hash TEXT UNIQUE,
    setup_expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    org_id BIGINT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor);
CREATE INDEX audit_log_action ON audit_log(action);
CREATE TABLE audit_anchor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    first_seq BIGINT NOT NULL,
    prev_hash TEXT NOT NULL
);
CREATE TABLE optouts (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    patient_id TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, patient_id)
);
CREATE TABLE deletion_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    subject_ref TEXT NOT NULL,
    package_sha256 TEXT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'acknowledged', 'done')),
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    received BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'finished', 'rejected')),
    created_at BIGINT NOT NULL
);
CREATE TABLE packages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL UNIQUE REFERENCES uploads(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    uploader_id BIGINT NOT NULL REFERENCES users(id),
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE provisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id BIGINT NOT NULL UNIQUE REFERENCES packages(id),
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    uploader_id BIGINT NOT NULL REFERENCES users(id),
    provided_at BIGINT NOT NULL,
    items TEXT NOT NULL,
    files BIGINT NOT NULL,
    records BIGINT NOT NULL,
    excluded_opt_out BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    sha256 TEXT NOT NULL
);
