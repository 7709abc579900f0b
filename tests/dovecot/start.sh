#!/usr/bin/env bash
# Starts a throwaway Dovecot (IMAP + LMTP) on loopback for the mail
# integration tests and prints the environment the tests read.
# Usage: eval "$(tests/dovecot/start.sh DIR)"; stop with tests/dovecot/stop.sh DIR
set -euo pipefail
dir=$(realpath -m "${1:?usage: start.sh DIR}")
imap_port=${DOVECOT_IMAP_PORT:-10143}
lmtp_port=${DOVECOT_LMTP_PORT:-10024}
mkdir -p "$dir/mail" "$dir/run" "$dir/state"
chown 65534:65534 "$dir/mail"
cat >"$dir/users" <<USERS
owner@example.test:{PLAIN}owner-secret
invitee@example.test:{PLAIN}invitee-secret
USERS
cat >"$dir/dovecot.conf" <<CONF
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp_port
  }
}
CONF
dovecot -c "$dir/dovecot.conf"
for _ in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$imap_port) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$lmtp_port) 2>/dev/null && break
	sleep 0.1
done
(exec 3<>/dev/tcp/127.0.0.1/$imap_port) 2>/dev/null || { echo "dovecot did not start; see $dir/dovecot.log" >&2; cat "$dir/dovecot.log" >&2 || true; exit 1; }
echo "export GRANTBOOK_DOVECOT_IMAP=127.0.0.1:$imap_port GRANTBOOK_DOVECOT_LMTP=127.0.0.1:$lmtp_port GRANTBOOK_DOVECOT_USER=owner@example.test GRANTBOOK_DOVECOT_PASS=owner-secret"
