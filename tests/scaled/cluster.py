"""The scaled deployment of deploy/ on 127.0.0.1: PostgreSQL, Redis, 2 action servers, 2 Rasa
replicas, 2 gateways and nginx, each a private process of this test on a free port.

What is tested is the deployment's own files: Rasa reads deploy/endpoints.scaled.yml (its
${...} filled from the environment, as in deploy/docker-compose.yml), nginx runs
deploy/nginx.conf with the compose service names replaced by 127.0.0.1 and free ports. The
databases are Debian's packages (scripts/ensure-services.sh), started as the current user in a
temporary directory, or as the ``postgres`` user when the tests run as root (PostgreSQL
refuses to run as root).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

from trolyao.environment import process_env
from tthc import paths

DEPLOY = paths.REPO / "deploy"
DB_NAME = "rasa"  # as in docker-compose.yml: one database for the tracker, the records, the state
DB_USER = "trolyao"
DB_PASSWORD = "scaled-test-password"


def compose() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


# Ticket lock lifetime in the Redis lock store, as docker-compose.yml sets it: how long a killed
# replica's lock on a conversation holds that conversation's next message.
LOCK_LIFETIME_S = str(compose()["services"]["rasa-1"]["environment"]["TICKET_LOCK_LIFETIME"])
TELEGRAM_TOKEN = "123456:SCALED-token"
TELEGRAM_SECRET = "scaled-Secret_42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found: run scripts/ensure-services.sh")
    return found[-1]


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except Exception:
        return False


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, dead: Callable[[], str | None] | None = None
) -> float:
    started = time.monotonic()
    while not check():
        problem = dead() if dead else None
        if problem:
            raise RuntimeError(f"{what}: {problem}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - started


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    user: str | None = None  # run as this user (root only)
    popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        out = open(self.log, "ab")  # noqa: SIM115 - lives as long as the process
        extra: dict[str, Any] = {}
        if self.user:
            entry = pwd.getpwnam(self.user)
            extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        self.popen = subprocess.Popen(
            self.argv, cwd=paths.REPO if not self.user else "/", env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, **extra,
        )  # fmt: skip
        out.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def exited(self) -> str | None:
        if self.popen is not None and self.popen.poll() is not None:
            return f"{self.name} exited with {self.popen.returncode}; log {self.log}:\n{tail(self.log)}"
        return None

    def kill9(self) -> None:
        """SIGKILL the whole process group (a crash: no clean-up of any kind)."""
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Cluster:
    model: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="trolyao-scaled-")))
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)
    telegram_api: str = ""  # base URL of the fake Telegram Bot API

    def __post_init__(self) -> None:
        self.root.chmod(0o755)
        self.logs = self.root / "logs"
        self.logs.mkdir()
        self.pg_user = "postgres" if os.geteuid() == 0 else None
        names = ["postgres", "redis", "nginx_gateway", "nginx_rasa", "nginx_actions",
                 "actions-1", "actions-2", "rasa-1", "rasa-2", "gateway-1", "gateway-2"]  # fmt: skip
        self.ports = {name: free_port() for name in names}

    # --- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """What citizens and platforms reach: nginx in front of the gateways."""
        return f"http://127.0.0.1:{self.ports['nginx_gateway']}"

    @property
    def rasa_url(self) -> str:
        """nginx in front of the Rasa replicas (what the gateways use)."""
        return f"http://127.0.0.1:{self.ports['nginx_rasa']}"

    @property
    def db_url(self) -> str:
        return f"postgresql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{self.ports['postgres']}/{DB_NAME}"

    def upstream(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    # --- PostgreSQL ------------------------------------------------------------------------

    def init_postgres(self) -> None:
        data = self.root / "pg"
        data.mkdir(mode=0o700)
        pwfile = self.root / "pg.pw"
        pwfile.write_text(DB_PASSWORD + "\n")
        if self.pg_user:
            entry = pwd.getpwnam(self.pg_user)
            os.chown(data, entry.pw_uid, entry.pw_gid)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        proc = Proc(
            "initdb",
            [pg_bin("initdb"), "-D", str(data), "-U", DB_USER, f"--pwfile={pwfile}", "--auth-local=trust",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}, self.logs / "initdb.log", self.pg_user,
        ).start()  # fmt: skip
        assert proc.popen is not None
        if proc.popen.wait(timeout=120) != 0:
            raise RuntimeError(f"initdb failed:\n{tail(proc.log)}")
        pwfile.unlink()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.ports['postgres']}\n"
                "unix_socket_directories = ''\nmax_connections = 200\nshared_buffers = 64MB\n"
                "logging_collector = off\nlog_min_messages = warning\n"
            )

    def start_postgres(self) -> None:
        self.procs["postgres"] = Proc(
            "postgres", [pg_bin("postgres"), "-D", str(self.root / "pg")],
            {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}, self.logs / "postgres.log", self.pg_user,
        ).start()  # fmt: skip

    def wait_postgres(self, timeout: float = 60.0) -> float:
        return wait_until(self.postgres_answers, timeout, "PostgreSQL", self.procs["postgres"].exited)

    def postgres_answers(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(self._dsn("postgres"), connect_timeout=2).close()
            return True
        except psycopg2.Error:
            return False

    def _dsn(self, db: str) -> str:
        return f"host=127.0.0.1 port={self.ports['postgres']} user={DB_USER} password={DB_PASSWORD} dbname={db}"

    def create_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self._dsn("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DB_NAME}")
        conn.close()

    def sql(self, query: str, *args: Any) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(self._dsn(DB_NAME), connect_timeout=3)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    # --- Redis -----------------------------------------------------------------------------

    def start_redis(self) -> None:
        conf = self.root / "redis.conf"
        (self.root / "redis").mkdir(exist_ok=True)  # started again after an outage test
        conf.write_text(
            f"port {self.ports['redis']}\nbind 127.0.0.1\nprotected-mode yes\ndaemonize no\n"
            f'dir {self.root / "redis"}\nsave ""\nappendonly no\nloglevel warning\n'
        )
        self.procs["redis"] = Proc(
            "redis", ["/usr/bin/redis-server", str(conf)], {"PATH": os.environ.get("PATH", "")}, self.logs / "redis.log"
        ).start()

    def redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports["redis"]), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    # --- nginx -----------------------------------------------------------------------------

    def nginx_site(self) -> str:
        """deploy/nginx.conf with the compose names and ports replaced by this machine's."""
        site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
        replacements = {
            r"server gateway-1:8000\b": f"server {self.upstream('gateway-1')}",
            r"server gateway-2:8000\b": f"server {self.upstream('gateway-2')}",
            r"server rasa-1:5005\b": f"server {self.upstream('rasa-1')}",
            r"server rasa-2:5005\b": f"server {self.upstream('rasa-2')}",
            r"server actions-1:5055\b": f"server {self.upstream('actions-1')}",
            r"server actions-2:5055\b": f"server {self.upstream('actions-2')}",
            r"listen 80;": f"listen 127.0.0.1:{self.ports['nginx_gateway']};",
            r"listen 5005;": f"listen 127.0.0.1:{self.ports['nginx_rasa']};",
            r"listen 5055;": f"listen 127.0.0.1:{self.ports['nginx_actions']};",
        }
        for pattern, value in replacements.items():
            site, count = re.subn(pattern, value, site)
            if count != 1:
                raise AssertionError(f"deploy/nginx.conf: expected one {pattern!r}, found {count}")
        return site

    def start_nginx(self) -> None:
        home = self.root / "nginx"
        temp = home / "temp"
        temp.mkdir(parents=True)
        temp.chmod(0o777)  # workers run as nobody when the master is root
        (home / "site.conf").write_text(self.nginx_site(), encoding="utf-8")
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        temps = "".join(
            f"    {kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (home / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {home / 'nginx.pid'};\n"
            f"error_log {self.logs / 'nginx-error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            # Test only: which replica served each request, with the body to find the sender.
            "    log_format routed escape=json '$server_port\\t$upstream_addr\\t$upstream_status\\t$status\\t"
            "$request_method\\t$request_uri\\t$request_body';\n"
            f"    access_log {self.logs / 'nginx-access.log'} routed;\n"
            f"{temps}"
            f"    include {home / 'site.conf'};\n"
            "}\n",
            encoding="utf-8",
        )  # fmt: skip
        self.procs["nginx"] = Proc(
            "nginx",
            [
                "/usr/sbin/nginx",
                "-e",
                str(self.logs / "nginx-error.log"),
                "-p",
                str(home),
                "-c",
                str(home / "nginx.conf"),
            ],
            {"PATH": os.environ.get("PATH", "")},
            self.logs / "nginx.log",
        ).start()

    def access_log(self) -> list[dict[str, str]]:
        rows = []
        for line in (self.logs / "nginx-access.log").read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 7:
                continue
            port, upstream, upstream_status, status, method, uri = parts[:6]
            rows.append({"port": port, "upstream": upstream, "upstream_status": upstream_status, "status": status,
                         "method": method, "uri": uri, "body": "\t".join(parts[6:])})  # fmt: skip
        return rows

    # --- the bot's processes ----------------------------------------------------------------

    def bot_env(self) -> dict[str, str]:
        """What docker-compose.yml gives the action servers and Rasa (bot_env and rasa env)."""
        return {
            "TROLYAO_DB_URL": self.db_url,
            "TROLYAO_LOCALITY": "da-nang",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.ports['nginx_actions']}/webhook",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(self.ports["postgres"]),
            "TRACKER_DB_NAME": DB_NAME,
            "TRACKER_DB_USER": DB_USER,
            "TRACKER_DB_PASSWORD": DB_PASSWORD,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.ports["redis"]),
            "TICKET_LOCK_LIFETIME": LOCK_LIFETIME_S,
            "TROLYAO_VAR_DIR": str(self.root / "var"),
        }

    def gateway_env(self, name: str) -> dict[str, str]:
        return {
            "RASA_URL": self.rasa_url,
            "ACTIONS_URL": f"http://127.0.0.1:{self.ports['nginx_actions']}",
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.ports[name]),
            "TROLYAO_DB_URL": self.db_url,
            "TROLYAO_STATE_DB_URL": self.db_url,
            "TROLYAO_LOCALITY": "da-nang",
            "TROLYAO_VAR_DIR": str(self.root / "var"),
            "GATEWAY_STATE_DB": str(self.root / f"{name}-state-unused.sqlite3"),
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_PUBLIC_URL": self.url,
            "TELEGRAM_API_BASE": self.telegram_api,
            "TROLYAO_LOG_FORMAT": "text",
        }

    def start_actions(self, name: str) -> None:
        env = process_env({**self.bot_env(), "SANIC_HOST": "127.0.0.1"})
        self.procs[name] = Proc(
            name, [sys.executable, "-m", "actions", "--port", str(self.ports[name])],
            env, self.logs / f"{name}.log",
        ).start()  # fmt: skip

    def start_rasa(self, name: str) -> None:
        env = process_env(self.bot_env())
        self.procs[name] = Proc(
            name,
            [sys.executable, "-m", "rasa", "run", "--enable-api", "--interface", "127.0.0.1",
             "--port", str(self.ports[name]), "-m", str(self.model),
             "--endpoints", str(DEPLOY / "endpoints.scaled.yml"), "--credentials", str(paths.BOT / "credentials.yml")],
            env, self.logs / f"{name}.log",
        ).start()  # fmt: skip

    def start_gateway(self, name: str) -> None:
        env = process_env(self.gateway_env(name))
        self.procs[name] = Proc(
            name, [str(paths.GATEWAY_PYTHON), "-m", "connectors"], env, self.logs / f"{name}.log"
        ).start()

    def health_urls(self) -> dict[str, str]:
        urls = {}
        for name in ("actions-1", "actions-2"):
            urls[name] = f"http://127.0.0.1:{self.ports[name]}/health"
        for name in ("rasa-1", "rasa-2"):
            urls[name] = f"http://127.0.0.1:{self.ports[name]}/status"
        for name in ("gateway-1", "gateway-2"):
            urls[name] = f"http://127.0.0.1:{self.ports[name]}/health"
        return urls

    def wait_ready(self, names: list[str], timeout: float = 240.0) -> dict[str, float]:
        """Wait for every named process (in parallel); seconds each took."""
        urls = self.health_urls()
        started = time.monotonic()
        pending = set(names)
        took: dict[str, float] = {}
        while pending:
            for name in sorted(pending):
                problem = self.procs[name].exited()
                if problem:
                    raise RuntimeError(problem)
                if answers(urls[name]):
                    took[name] = round(time.monotonic() - started, 1)
                    pending.discard(name)
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {sorted(pending)}; logs in {self.logs}")
            time.sleep(0.3)
        return took

    def start(self) -> dict[str, float]:
        """Everything, in dependency order; returns start-up seconds per part."""
        took: dict[str, float] = {}
        began = time.monotonic()
        self.init_postgres()
        self.start_postgres()
        self.start_redis()
        took["postgres"] = round(self.wait_postgres(), 1)
        self.create_database()
        wait_until(self.redis_answers, 20, "Redis", self.procs["redis"].exited)
        self.start_nginx()
        wait_until(lambda: listens(self.ports["nginx_gateway"]), 20, "nginx", self.procs["nginx"].exited)
        for name in ("actions-1", "actions-2", "rasa-1", "rasa-2", "gateway-1", "gateway-2"):
            getattr(self, "start_" + name.split("-")[0])(name)
        took.update(self.wait_ready(["actions-1", "actions-2", "rasa-1", "rasa-2", "gateway-1", "gateway-2"]))
        # The gateways' Telegram channel registers its webhook once Rasa answers.
        wait_until(self.channels_ready, 60, "Telegram channel of both gateways")
        # Requests made while replicas were still loading marked them failed in nginx for
        # fail_timeout: wait until nginx sends to every replica again.
        wait_until(self.balanced, 30, "nginx using every replica")
        took["total"] = round(time.monotonic() - began, 1)
        return took

    def balanced(self) -> bool:
        """The last requests through nginx reached both gateways and both Rasa replicas."""
        for _ in range(4):
            get(f"{self.url}/health")
            get(f"{self.rasa_url}/status")
        recent = self.access_log()[-8:]
        used = {row["upstream"] for row in recent if row["status"] == "200"}
        wanted = {self.upstream(name) for name in ("gateway-1", "gateway-2", "rasa-1", "rasa-2")}
        if wanted <= used:
            return True
        time.sleep(1)
        return False

    def channels_ready(self) -> bool:
        for name in ("gateway-1", "gateway-2"):
            status, body = get(f"http://127.0.0.1:{self.ports[name]}/health")
            if status != 200 or json.loads(body).get("channels", {}).get("telegram") != "ok":
                return False
        return True

    def stop(self) -> None:
        order = ["gateway-1", "gateway-2", "rasa-1", "rasa-2", "actions-1", "actions-2", "nginx", "redis", "postgres"]
        for name in order:
            if name in self.procs:
                self.procs[name].stop()

    def cleanup(self) -> None:
        if os.environ.get("TROLYAO_KEEP_SCALED"):
            print(f"scaled test files kept in {self.root}")
            return
        shutil.rmtree(self.root, ignore_errors=True)


def listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
