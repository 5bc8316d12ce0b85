#!/bin/bash
# Runs inside the Debian container under systemd as PID 1 (tests/integration/nspawn_test.ts):
# installs Spip as docs/deployment.md says, starts, reloads and stops deploy/spip.service, and
# writes what it saw to /results. Every wait is bounded.
set -u
R=/results
RECORDS=/var/log/spip/spip.jsonl
step() { echo "$*" >> "$R/steps"; }
finish() { journalctl -u spip -o cat --no-pager > "$R/journal" 2>&1; systemctl poweroff --no-block; exit 0; }
fail() { echo "$*" > "$R/failed"; finish; }
wait_for() { # seconds, command...
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}
send() { # port text
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s' "$2" >&3
  exec 3>&-
}

step install
systemd-sysusers || fail "systemd-sysusers failed"
useradd --system --no-create-home --groups spip shipper || fail "useradd failed"

step start
systemctl start spip.service || fail "start: $(systemctl status spip --no-pager 2>&1 | tail -20)"
wait_for 60 sh -c "journalctl -u spip -o cat | grep -q '\"type\":\"start\"'" || fail "no start line"
# The firewall (ExecStartPre, as root) redirects traffic that arrives from outside; the
# container has only loopback, so the test connects to the sensor's own port.
iptables-save > "$R/iptables-running"
send 5555 first-connection || fail "cannot connect to 5555"
wait_for 20 grep -q first-connection "$RECORDS" || fail "no record for the first connection"
stat -c '%U:%G %a' /var/log/spip "$RECORDS" > "$R/perms"
runuser -u shipper -- cat "$RECORDS" > /dev/null 2>&1; echo $? > "$R/shipper-rc"
runuser -u nobody -- cat "$RECORDS" > /dev/null 2>&1; echo $? > "$R/nobody-rc"
systemctl show -p MainPID --value spip > "$R/pid-before"

step reload
mv "$RECORDS" "$RECORDS.1"
systemctl reload spip.service || fail "reload failed"
wait_for 20 sh -c "journalctl -u spip -o cat | grep -q 'SIGHUP: reopening'" || fail "no reopen line"
send 5555 second-connection || fail "cannot connect after the reload"
wait_for 20 grep -q second-connection "$RECORDS" || fail "no record in the new file"
systemctl show -p MainPID --value spip > "$R/pid-after"
cp "$RECORDS" "$RECORDS.1" "$R/"

step stop
systemctl stop spip.service
systemctl show -p Result -p ExecMainStatus -p ActiveState spip > "$R/stopped"
iptables-save > "$R/iptables-after-stop"
journalctl -u spip -o cat --no-pager > "$R/journal-run" 2>&1

step bad-certificate
# A configuration the firewall accepts but the sensor refuses (the certificate is missing):
# the main process exits 2 and systemd must not restart it.
cp /etc/spip/config.toml /etc/spip/good.toml
printf '[tls]\ncert = "/etc/spip/missing.pem"\nkey = "/etc/spip/missing-key.pem"\n' >> /etc/spip/config.toml
systemctl reset-failed spip.service 2>/dev/null
systemctl start spip.service
wait_for 20 sh -c "systemctl is-failed --quiet spip.service" || fail "spip did not fail on a missing certificate"
sleep 5 # RestartSec=2s: a restart would have happened by now
systemctl show -p Result -p ExecMainStatus -p NRestarts -p ActiveState spip > "$R/bad-certificate"
journalctl -u spip -o cat --no-pager | grep 'Cannot load config' | tail -1 > "$R/bad-certificate-line"

step bad-toml
# A configuration nobody accepts (80.0 for the port): ExecStartPre's `spip firewall apply`
# exits 2 before the sensor starts. RestartPreventExitStatus= does not cover ExecStartPre, so
# systemd restarts it, until the unit's start limit (3 in a minute) stops it for good.
printf 'ip = "::"\nport = 80.0\n' > /etc/spip/config.toml
systemctl reset-failed spip.service 2>/dev/null
systemctl start spip.service
wait_for 30 sh -c "systemctl show -p SubState spip | grep -q '=failed'" ||
  fail "spip did not stop restarting on 80.0: $(systemctl show -p Result -p NRestarts spip)"
sleep 5 # it stays failed: no restart after the start limit
systemctl show -p Result -p ExecMainStatus -p NRestarts -p ActiveState spip > "$R/bad-toml"
journalctl -u spip -o cat --no-pager | grep 'Cannot load config' | tail -1 > "$R/bad-toml-line"

step done
touch "$R/done"
finish
