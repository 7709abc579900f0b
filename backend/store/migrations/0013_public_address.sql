-- Grantbook has one public address: the client area's (Settings → Client
-- area), also the sign-in of the owner's sites and the OpenID Connect
-- issuer. The address once set apart for the sites (site.public_url)
-- becomes it, unless the client area had one: that one was in the mails
-- contacts got, so it stays. Either way the audit log says what happened.
INSERT INTO audit_log (at, actor, action, entity, entity_id, summary, before, after)
SELECT strftime('%s', 'now'), 'Grantbook (upgrade)', 'settings.client_area', 'settings', 0,
	CASE WHEN coalesce(json_extract(ca.value, '$.address'), '') = ''
		THEN 'Grantbook''s public address ' || pu.value || ' is now the client area''s address'
		ELSE 'Grantbook''s public address ' || pu.value || ' is dropped: the client area''s address ' ||
			json_extract(ca.value, '$.address') || ' serves for the owner''s sites too'
	END,
	json_object('public_url', pu.value, 'client_area', coalesce(json_extract(ca.value, '$.address'), '')),
	json_object('client_area', coalesce(nullif(json_extract(ca.value, '$.address'), ''), pu.value))
FROM settings pu LEFT JOIN settings ca ON ca.key = 'client_area'
WHERE pu.key = 'site.public_url' AND pu.value <> '';

INSERT INTO settings (key, value)
SELECT 'client_area', json_object('address', value) FROM settings WHERE key = 'site.public_url' AND value <> ''
ON CONFLICT (key) DO UPDATE SET value = json_set(settings.value, '$.address', json_extract(excluded.value, '$.address'))
	WHERE coalesce(json_extract(settings.value, '$.address'), '') = '';

DELETE FROM settings WHERE key = 'site.public_url';
