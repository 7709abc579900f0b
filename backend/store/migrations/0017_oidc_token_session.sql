-- An OpenID Connect access token lives on the client-area session that
-- signed in for it: it is refused once that session ends or is held for
-- its second factor. Tokens from before have none and are refused (they
-- last ten minutes: the site signs in again).
ALTER TABLE oidc_tokens ADD COLUMN session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE;
