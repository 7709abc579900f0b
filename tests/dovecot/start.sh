#!/usr/bin/env bash
# Starts a throwaway Dovecot 2.3 (IMAP + LMTP) on loopback for the mail
# integration tests and prints the environment the tests read.
# Usage: eval "$(tests/dovecot/start.sh DIR)"; stop with tests/dovecot/stop.sh DIR
# Ports: DOVECOT_IMAP_PORT (default 10143), DOVECOT_LMTP_PORT (default 10024).
# Users (password owner-secret / invitee-secret): owner@example.test,
# invitee@example.test and invitee1..invitee9@example.test. Plus addresses
# (owner+tag@example.test) are delivered to the base user.
# Needs root: Dovecot's default setup drops privileges to its own users.
set -euo pipefail
dir=$(realpath -m "${1:?usage: start.sh DIR}")
imap_port=${DOVECOT_IMAP_PORT:-10143}
lmtp_port=${DOVECOT_LMTP_PORT:-10024}

if [ "$(id -u)" -ne 0 ]; then
	echo "start.sh: Dovecot must be started as root (it drops privileges to its dovecot, dovenull and nobody users)" >&2
	exit 1
fi
command -v dovecot >/dev/null || { echo "start.sh: dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A server already on a port would answer the readiness check below and the
# tests would talk to it instead: refuse.
for p in "$imap_port" "$lmtp_port"; do
	if port_open "$p"; then
		echo "start.sh: 127.0.0.1:$p is already in use (another Dovecot? stop it with tests/dovecot/stop.sh DIR, or set DOVECOT_IMAP_PORT/DOVECOT_LMTP_PORT)" >&2
		exit 1
	fi
done

mkdir -p "$dir/mail" "$dir/run" "$dir/state"
# Dovecot's auth process (user dovecot) reads DIR/users and the mail
# processes (uid 65534) work under DIR/mail: DIR must be traversable even
# when it comes from mktemp -d (mode 0700).
chmod 755 "$dir"
chown 65534:65534 "$dir/mail"
{
	echo "owner@example.test:{PLAIN}owner-secret"
	echo "invitee@example.test:{PLAIN}invitee-secret"
	for i in 1 2 3 4 5 6 7 8 9; do echo "invitee$i@example.test:{PLAIN}invitee-secret"; done
} >"$dir/users"
chmod 644 "$dir/users"
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
recipient_delimiter = +
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
if ! dovecot -c "$dir/dovecot.conf"; then
	echo "start.sh: dovecot did not start; see $dir/dovecot.log" >&2
	cat "$dir/dovecot.log" >&2 2>/dev/null || true
	exit 1
fi
for _ in $(seq 100); do
	port_open "$imap_port" && port_open "$lmtp_port" && break
	sleep 0.1
done
if ! port_open "$imap_port" || ! port_open "$lmtp_port"; then
	echo "start.sh: dovecot is not listening on 127.0.0.1:$imap_port and :$lmtp_port; see $dir/dovecot.log" >&2
	cat "$dir/dovecot.log" >&2 2>/dev/null || true
	"$(dirname "$0")/stop.sh" "$dir" || true
	exit 1
fi
echo "export GRANTBOOK_DOVECOT_IMAP=127.0.0.1:$imap_port GRANTBOOK_DOVECOT_LMTP=127.0.0.1:$lmtp_port GRANTBOOK_DOVECOT_USER=owner@example.test GRANTBOOK_DOVECOT_PASS=owner-secret GRANTBOOK_DOVECOT_INVITEE_PASS=invitee-secret"
