"""The stream writer's scatter-gather send: every byte, in order, through partial sends."""

from __future__ import annotations

import os
import socket
import threading

from hub.web.server import send_all


def test_send_all_delivers_every_part_in_order_through_partial_sends() -> None:
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # each sendmsg takes only a little
    a.settimeout(5)
    parts = [b"%x\r\n" % 300_000, os.urandom(300_000), b"\r\n", os.urandom(5), b""]
    got = bytearray()

    def read() -> None:
        while len(got) < sum(map(len, parts)):
            got.extend(b.recv(1000))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        send_all(a, parts)
        reader.join(10)
    finally:
        a.close()
        b.close()
    assert bytes(got) == b"".join(parts)
