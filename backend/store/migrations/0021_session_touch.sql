-- A session's touch (last_seen, written at most once a minute by the view
-- writer) no longer drops the session from the cache: the cached session
-- keeps the touch in memory (core's liveSession), and a drop made every
-- active session load again from the database once a minute. Every other
-- column still drops it; a column added to sessions must be named here.
DROP TRIGGER sessions_cache_update;
CREATE TRIGGER sessions_cache_update AFTER UPDATE OF id, contact_id, token_hash, csrf_token, created_at,
	expires_at, revoked_at, user_agent, remote_addr, email_key, factor ON sessions BEGIN
	INSERT INTO cache_changes VALUES ('session', OLD.id);
END;
