"""A local RTMP ingest: nginx with Debian's RTMP module on a free loopback port.

The bench measures latency through it, and the tests use it as the real ingest (recording every
publish to FLV, optionally TLS in front for RTMPS, optionally an on_publish hook that can refuse a
key). scripts/setup.sh installs nginx-light and libnginx-mod-rtmp (+ libnginx-mod-stream for TLS).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from seller_studio.common.net import free_port
from seller_studio.i18n import tr_noop

RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(tr_noop("nothing listening on port {port}").format(port=port))


def nginx_rtmp_available() -> bool:
    return shutil.which("nginx") is not None and Path(RTMP_MODULE).exists()


class RtmpServer:
    """nginx-rtmp serving ``rtmp://127.0.0.1:<port>/live`` from ``workdir``.

    ``port`` lets a test restart the server where the stream expects it after killing it.
    """

    def __init__(self, workdir: Path, *, port: int | None = None, record: bool = False,
                 on_publish_url: str | None = None, with_tls: bool = False) -> None:
        if not nginx_rtmp_available():
            raise RuntimeError(tr_noop("a local ingest needs nginx with libnginx-mod-rtmp (scripts/setup.sh installs it)"))
        self.workdir = workdir
        self.port = port or free_port()
        self.tls_port = free_port() if with_tls else None
        self.record_dir = workdir / "record"
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        recording = ""
        if record:
            self.record_dir.mkdir(exist_ok=True)
            recording = f"record all; record_path {self.record_dir}; record_unique on;"
        notify = f"on_publish {on_publish_url};" if on_publish_url else ""
        tls = ""
        if with_tls:
            # RTMPS as real ingests offer it: TLS terminated in front of the RTMP server.
            cert, key = workdir / "cert.pem", workdir / "key.pem"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
            tls = f"""load_module {STREAM_MODULE};
stream {{ server {{ listen 127.0.0.1:{self.tls_port} ssl; ssl_certificate {cert}; ssl_certificate_key {key};
                   proxy_pass 127.0.0.1:{self.port}; }} }}
"""
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(f"""
load_module {RTMP_MODULE};
{tls}
daemon off;
master_process off;
pid {workdir}/nginx.pid;
error_log {workdir}/logs/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application live {{
            live on;
            {recording}
            {notify}
        }}
    }}
}}
""")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    @property
    def tls_url(self) -> str:
        return f"rtmps://127.0.0.1:{self.tls_port}/live"

    def start(self) -> RtmpServer:
        self.proc = subprocess.Popen(["nginx", "-p", str(self.workdir), "-c", str(self.conf), "-e",
                                      str(self.workdir / "logs" / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port)
            if self.tls_port:
                wait_for_port(self.tls_port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(tr_noop("the local ingest (nginx) did not start; see {path}").format(
                path=self.workdir / "logs" / "error.log")) from None
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    def recordings(self) -> list[Path]:
        return sorted(self.record_dir.glob("*.flv"), key=lambda p: p.stat().st_mtime)

    def wait_recording_closed(self, timeout_s: float = 5.0) -> Path:
        """The newest recording, once nginx has finished writing it."""
        deadline = time.monotonic() + timeout_s
        last_size = -1
        while time.monotonic() < deadline:
            files = self.recordings()
            if files:
                size = files[-1].stat().st_size
                if size == last_size and size > 0:
                    return files[-1]
                last_size = size
            time.sleep(0.3)
        files = self.recordings()
        if not files:
            raise AssertionError(tr_noop("nginx recorded nothing"))
        return files[-1]
