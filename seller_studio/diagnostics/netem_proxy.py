"""A loopback TCP relay that can throttle or cut a connection: a bad network on demand.

The throttled-uplink tests and the ``--simulate`` fault injection put it between the studio and the
ingest. It runs in its own process (``NetemProxyProcess``): FFmpeg's RTMP connect holds Python's
GIL while it waits for the server, so a relay in the studio's own process would wait on itself. Only the upstream direction (studio -> ingest) is shaped, as a home uplink is. The relay's
receive buffer is kept small so the congestion shows up in the studio's own send buffer, as it
would behind a slow uplink, instead of vanishing into kernel buffers on loopback.
"""

from __future__ import annotations

import argparse
import logging
import socket
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

CHUNK = 4096


class NetemProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int = 0, rcvbuf_bytes: int = 16384) -> None:
        self.target = (target_host, target_port)
        self.rcvbuf_bytes = rcvbuf_bytes
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf_bytes)
        self._server.bind(("127.0.0.1", listen_port))
        self._server.listen(8)
        self.port = self._server.getsockname()[1]
        self._rate_bytes_per_s: float | None = None
        self._is_down = False
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self.bytes_up = 0
        self._thread = threading.Thread(target=self._accept_loop, name="netem-accept", daemon=True)
        self._thread.start()

    # -- control -------------------------------------------------------------------------------
    def set_rate_kbps(self, kbps: float | None) -> None:
        """Cap the upstream at ``kbps`` (None: no cap)."""
        self._rate_bytes_per_s = kbps * 1000 / 8 if kbps else None

    def cut(self) -> None:
        """Drop every connection and refuse new ones until ``restore`` (the Wi-Fi went away)."""
        self._is_down = True
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            _close(conn)

    def restore(self) -> None:
        self._is_down = False

    def close(self) -> None:
        self._stop.set()
        self.cut()
        _close(self._server)

    # -- relay ---------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self._is_down:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)  # the timeout was for connecting; an idle relay is normal
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf_bytes)
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), name="netem-up", daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), name="netem-down", daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, is_upstream: bool) -> None:
        allowance = 0.0
        last = time.monotonic()
        try:
            while not self._stop.is_set():
                data = src.recv(CHUNK)
                if not data:
                    break
                if is_upstream:
                    rate = self._rate_bytes_per_s
                    if rate:
                        now = time.monotonic()
                        allowance = min(allowance + (now - last) * rate, rate * 0.1)
                        last = now
                        allowance -= len(data)
                        if allowance < 0:
                            time.sleep(-allowance / rate)
                    else:
                        last = time.monotonic()
                    self.bytes_up += len(data)
                dst.sendall(data)
        except OSError as exc:
            log.debug("relay %s ended: %s", "up" if is_upstream else "down", exc)
        finally:
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class NetemProxyProcess:
    """``NetemProxy`` in a child process, controlled over its stdin."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seller_studio.diagnostics.netem_proxy", "--target", f"{target_host}:{target_port}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().split()[-1])

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()  # "ok": the change is in force

    def set_rate_kbps(self, kbps: float | None) -> None:
        self._send(f"rate {kbps or 0}")

    def cut(self) -> None:
        self._send("cut")

    def restore(self) -> None:
        self._send("restore")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description="loopback TCP relay with an adjustable uplink")
    parser.add_argument("--target", required=True, help="host:port to relay to")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    proxy = NetemProxy(host, int(port), args.port)
    print(f"listening {proxy.port}", flush=True)
    for line in sys.stdin:
        cmd, _, value = line.strip().partition(" ")
        if cmd == "rate":
            proxy.set_rate_kbps(float(value) or None)
        elif cmd == "cut":
            proxy.cut()
        elif cmd == "restore":
            proxy.restore()
        print("ok", flush=True)
    proxy.close()


if __name__ == "__main__":
    main()
