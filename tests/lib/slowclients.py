# SPDX-License-Identifier: Apache-2.0
"""Abusive clients for the HTTPS daemons' tests (tests/e2e/http and
tests/e2e/host): a slowloris client that dribbles header lines, and a
silent one that connects and never starts TLS. Both report whether the
server cut them, and after how long."""
import socket
import ssl
import time


def slowloris(port, cacert, path="/v1/ping", lines=120, every=0.25, host="127.0.0.1"):
    """Opens TLS to host:port (cacert verifies the server), sends the start
    of a GET for path and then one header line every `every` seconds, up to
    `lines` of them. Returns {"cut": bool, "closed_after": seconds}: cut is
    True if the server ended the connection (end of stream or reset)
    before the lines ran out."""
    ctx = ssl.create_default_context(cafile=cacert)
    res = {"cut": False}
    t0 = time.monotonic()
    try:
        with socket.create_connection((host, port)) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n")
                s.settimeout(every)
                for i in range(lines):
                    try:
                        s.sendall(b"X-Slow-%d: y\r\n" % i)
                        if s.recv(1024) == b"":
                            res["cut"] = True
                            break
                    except socket.timeout:
                        pass
                    except (OSError, ssl.SSLError):
                        res["cut"] = True
                        break
    except (OSError, ssl.SSLError):
        res["cut"] = True
    res["closed_after"] = time.monotonic() - t0
    return res


def silent_connect(port, host="127.0.0.1"):
    """A TCP connection that never starts TLS; close it when done."""
    return socket.create_connection((host, port))


def silent_cut(sock, timeout=30):
    """(cut, seconds): whether the server closed the silent connection
    within timeout, and when (from this call)."""
    t0 = time.monotonic()
    sock.settimeout(timeout)
    try:
        cut = sock.recv(1) == b""
    except OSError:
        cut = True
    return cut, time.monotonic() - t0
