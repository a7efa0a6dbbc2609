-- Sign-in support: the single-use links that have been used, and the
-- OpenID Connect identities users sign in with. Times are fixed-width UTC
-- text, as elsewhere.

-- A row records that the signed link carrying nonce (account.SignLink) has
-- been used, so it cannot be used again. Rows are kept until the link
-- would have expired anyway, then pruned.
CREATE TABLE used_link (
    nonce TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    used_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX used_link_expires ON used_link (expires_at);

-- An identity is the pair (issuer, subject) an OpenID Connect provider
-- vouches for; each belongs to at most one user.
CREATE TABLE user_identity (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE INDEX user_identity_user ON user_identity (user_id);
