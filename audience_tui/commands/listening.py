"""The listening socket of `serve` and `sandbox serve`, bound before anything claims to serve.

Binding first means a busy port is one sentence and exit 4, never a web server's traceback or a
"serving on ..." line for a server that never started.
"""

from __future__ import annotations

import errno
import socket

from ..core.errors import ConfigError, NetworkError


class PortInUseError(NetworkError):
    kind = "port in use"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, or an error saying why not in one line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not a port another listens on
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"port {port} is in use, try --port") from None
        if exc.errno == errno.EACCES:
            raise NetworkError(f"port {port} needs privileges here, try --port") from None
        raise NetworkError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock
