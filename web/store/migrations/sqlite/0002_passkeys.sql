-- Passkeys (WebAuthn) as a second factor: web/store/src/passkey.rs.
ALTER TABLE users ADD COLUMN passkey_count BIGINT NOT NULL DEFAULT 0;
CREATE TABLE passkeys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- hex of the credential ID, unique across accounts
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- webauthn-rs Passkey as JSON: public key, algorithm, signature counter
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id);
