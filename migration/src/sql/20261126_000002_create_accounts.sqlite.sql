-- Accounts, refresh tokens and the audit log.

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    -- Lower-cased email: uniqueness is case-insensitive on both backends.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    operator_id INTEGER REFERENCES operator (id) ON DELETE RESTRICT,
    -- argon2id PHC string: algorithm, parameters and salt travel with the hash.
    password_hash TEXT NOT NULL,
    -- Raised when a password changes or an account is suspended: older
    -- access tokens carry the old value and are refused.
    session_epoch INTEGER NOT NULL DEFAULT 0,
    last_login_at TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE refresh_token (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    -- SHA-256 of the token: the token itself is never stored.
    token_hash TEXT NOT NULL UNIQUE,
    -- Every token rotated from one login shares its family.
    family TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX refresh_token_family_idx ON refresh_token (family);
CREATE INDEX refresh_token_user_idx ON refresh_token (user_id);

CREATE TABLE audit_entry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changed_fields TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_entry_entity_idx ON audit_entry (entity, entity_id);
CREATE INDEX audit_entry_user_idx ON audit_entry (user_id);
