"""A private Dovecot (IMAP) and Postfix (SMTP) for tests, on free ports of 127.0.0.1, one pair per test session.

Dovecot serves any number of accounts (every name logs in with PASSWORD, a static passdb), maildirs with `/` as
the hierarchy separator and the special-use folders Drafts, Sent, Trash, Junk and Archive. Postfix accepts mail
from 127.0.0.1, delivers `*@inbox.test` recipients into Dovecot's maildir of the account `RECEIVER`, and discards
every other recipient: nothing leaves the machine and no bounce comes back."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HOW_TO_INSTALL = "Install Dovecot and Postfix: apt-get install -y dovecot-imapd postfix (bash .ci/run does this)."
MAIL_UID = 65534  # nobody: Dovecot and Postfix both write the maildirs as this user
RECEIVER = "receiver@inbox.test"  # Postfix delivers here; the account logs in to Dovecot with this name
PASSWORD = "correct-horse-battery-staple"  # no spaces: a static passdb splits its args on them


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _greets(port: int, greeting: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(64).startswith(greeting)
    except OSError:
        return False


def _wait_for(port: int, greeting: bytes, alive: object, log: Path, what: str) -> None:
    deadline = time.monotonic() + 120  # starting is quick; the machine may be busy
    while not _greets(port, greeting):
        still = alive() if callable(alive) else True
        if not still or time.monotonic() > deadline:
            text = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            pytest.fail(f"{what} did not start ({HOW_TO_INSTALL}). Its log:\n{text}", pytrace=False)
        time.sleep(0.1)


@dataclass
class MailServers:
    workdir: Path
    imap_port: int
    smtp_port: int
    dovecot: subprocess.Popen[bytes]
    host: str = "127.0.0.1"

    def add_user(self) -> str:
        """A new, empty IMAP account (every name logs in with PASSWORD; its maildir is made on first login)."""
        return f"u{uuid.uuid4().hex[:16]}@mailagent.test"

    def maildir(self, username: str) -> Path:
        return self.workdir / "mail" / username

    def stop_imap(self) -> None:
        self.dovecot.terminate()
        try:
            self.dovecot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.dovecot.kill()


def _dovecot_config(workdir: Path, port: int) -> str:
    return f"""
base_dir = {workdir}/dovecot-run
state_dir = {workdir}/dovecot-state
log_path = {workdir}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {MAIL_UID}
last_valid_uid = {MAIL_UID}
mail_location = maildir:{workdir}/mail/%u:LAYOUT=fs
mail_max_userip_connections = 1000
imap_idle_notify_interval = 1 secs
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={workdir}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


_MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _postfix_main(workdir: Path) -> str:
    return f"""
compatibility_level = 3.6
queue_directory = {workdir}/postfix/queue
data_directory = {workdir}/postfix/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = smtp.mailagent.test
mydomain = mailagent.test
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = inbox.test
virtual_mailbox_base = {workdir}/mail
virtual_mailbox_maps = static:{RECEIVER}/
virtual_uid_maps = static:{MAIL_UID}
virtual_gid_maps = static:{MAIL_UID}
virtual_minimum_uid = {MAIL_UID}
default_transport = discard:nothing leaves the test machine
relay_transport = discard:nothing leaves the test machine
notify_classes =
maillog_file = {workdir}/postfix/maillog
maillog_file_prefixes = {workdir}
biff = no
smtputf8_enable = no
alias_maps =
alias_database =
"""


def start_mail_servers(workdir: Path) -> tuple[MailServers, Path]:
    dovecot_bin = shutil.which("dovecot") or "/usr/sbin/dovecot"
    postfix_bin = shutil.which("postfix") or "/usr/sbin/postfix"
    if not (Path(dovecot_bin).exists() and Path(postfix_bin).exists()):
        pytest.fail(f"dovecot or postfix is missing. {HOW_TO_INSTALL}", pytrace=False)
    mail = workdir / "mail"
    mail.mkdir(parents=True)
    (workdir / "home").mkdir()
    shutil.chown(mail, MAIL_UID, MAIL_UID)
    shutil.chown(workdir / "home", MAIL_UID, MAIL_UID)
    imap_port, smtp_port = free_port(), free_port()
    conf = workdir / "dovecot.conf"
    conf.write_text(_dovecot_config(workdir, imap_port))
    dovecot = subprocess.Popen(
        [dovecot_bin, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for(imap_port, b"* OK", lambda: dovecot.poll() is None, workdir / "dovecot.log", "Dovecot")

    pf = workdir / "postfix"
    (pf / "queue").mkdir(parents=True)
    (pf / "data").mkdir()
    shutil.chown(pf / "data", "postfix", "postfix")
    (pf / "main.cf").write_text(_postfix_main(workdir))
    (pf / "master.cf").write_text(_MASTER_CF.format(port=smtp_port))
    # postfix prints why it failed only to a terminal: run it under `script`
    started = subprocess.run(
        ["script", "-qc", f"{postfix_bin} -c {pf} start", "/dev/null"], capture_output=True, timeout=120
    )
    if started.returncode != 0 or b"fatal" in started.stdout:
        dovecot.kill()
        pytest.fail(f"Postfix did not start: {started.stdout.decode(errors='replace')[-2000:]}", pytrace=False)
    _wait_for(smtp_port, b"220", True, pf / "maillog", "Postfix")
    servers = MailServers(workdir, imap_port, smtp_port, dovecot)
    return servers, pf


def stop_mail_servers(servers: MailServers, postfix_dir: Path) -> None:
    postfix_bin = shutil.which("postfix") or "/usr/sbin/postfix"
    pid_file = postfix_dir / "queue" / "pid" / "master.pid"
    master = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
    subprocess.run(
        ["script", "-qc", f"{postfix_bin} -c {postfix_dir} stop", "/dev/null"], capture_output=True, timeout=120
    )
    if master is not None:  # `postfix stop` returns before the master has gone; make sure it has
        deadline = time.monotonic() + 30
        while Path(f"/proc/{master}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if Path(f"/proc/{master}").exists():
            os.kill(master, signal.SIGKILL)
    servers.stop_imap()


def server_workdir() -> Path:
    """A directory the servers' unprivileged processes (nobody, postfix) can reach: pytest's own temporary
    directories are private to root."""
    workdir = Path(tempfile.mkdtemp(prefix="mailagent-mailservers-"))
    workdir.chmod(0o755)
    return workdir


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServers]:
    workdir = server_workdir()
    servers, postfix_dir = start_mail_servers(workdir)
    try:
        yield servers
    finally:
        stop_mail_servers(servers, postfix_dir)
        shutil.rmtree(workdir, ignore_errors=True)
