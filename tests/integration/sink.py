"""A small SMTP server for tests that need a remote side ringmail cannot play: STARTTLS only
when given a certificate, PIPELINING only when told to offer it, and a record of who connected
(source address, EHLO name, whether TLS was used) and what was sent."""

import socket
import threading


class Sink:
    """Listens on 127.0.0.1; `sessions` gets one dict per connection: peer, helo, messages."""

    def __init__(self, extensions=("8BITMIME", "SIZE 100000000"), refuse=(), hang_up_after_message=False,
                 host="127.0.0.1", port=0, tls=None):
        """`refuse`: recipient addresses answered `550 5.1.1`; `hang_up_after_message`: close
        the connection without a word after each message (an idle timeout on the server side);
        `tls`: an `ssl.SSLContext` with a certificate, to offer STARTTLS with."""
        self.extensions = list(extensions) + (["STARTTLS"] if tls else [])
        self.refuse = set(refuse)
        self.hang_up_after_message = hang_up_after_message
        self.tls = tls
        self.sessions = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.listener.close()

    def on_mail(self, line):
        """Called with each MAIL command; a reply line to answer it with instead of `250`
        (a `421` one also ends the session), or None."""
        return None

    def on_message(self, envelope):
        """Called with each message before its `250`; False hangs up without a reply instead."""
        return True

    def messages(self):
        return [m for s in self.sessions for m in s["messages"]]

    def _accept(self):
        while True:
            try:
                conn, peer = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True).start()

    def _serve(self, conn, peer):
        # "pipelined": the commands that arrived with more commands behind them, before a reply.
        session = {"peer": peer[0], "helo": None, "commands": [], "messages": [], "pipelined": [], "tls": False}
        self.sessions.append(session)
        f = Lines(conn)
        send = lambda line: conn.sendall(line.encode() + b"\r\n")  # noqa: E731
        send("220 sink.test ESMTP")
        envelope = {}
        try:
            for raw in f:
                line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
                session["commands"].append(line)
                verb = line.split(" ")[0].upper()
                if f.pending():
                    session["pipelined"].append(verb)
                if verb in ("EHLO", "HELO"):
                    session["helo"] = line.split(" ", 1)[1] if " " in line else ""
                    lines = ["sink.test"] + (self.extensions if verb == "EHLO" else [])
                    for text in lines[:-1]:
                        send(f"250-{text}")
                    send(f"250 {lines[-1]}")
                elif verb == "MAIL":
                    scripted = self.on_mail(line)
                    if scripted:
                        send(scripted)
                        if scripted.startswith("421"):
                            break
                        continue
                    envelope = {"mail": line, "rcpts": []}
                    send("250 2.1.0 OK")
                elif verb == "RCPT":
                    address = line.split("<", 1)[1].split(">", 1)[0] if "<" in line else ""
                    if address in self.refuse:
                        send(f"550 5.1.1 <{address}>: no such user")
                        continue
                    envelope["rcpts"].append(line)
                    send("250 2.1.5 OK")
                elif verb == "DATA":
                    send("354 go ahead")
                    data = b""
                    for body_line in f:
                        if body_line == b".\r\n":
                            break
                        data += body_line
                    envelope["data"] = data
                    if not self.on_message(envelope):
                        break
                    session["messages"].append(envelope)
                    send("250 2.0.0 queued")
                    if self.hang_up_after_message:
                        break
                elif verb == "STARTTLS" and self.tls and not session["tls"]:
                    send("220 2.0.0 go ahead")
                    conn = self.tls.wrap_socket(conn, server_side=True)
                    send = lambda line: conn.sendall(line.encode() + b"\r\n")  # noqa: E731
                    f.conn, f.buffer = conn, b""
                    session["tls"] = True
                elif verb == "RSET":
                    envelope = {}
                    send("250 2.0.0 OK")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    break
                else:
                    send("502 5.5.2 not implemented")
        except OSError:
            pass
        finally:
            conn.close()


class Lines:
    """The lines a client sends, read straight from the socket, so that `pending` can tell
    whether more had arrived with a line (pipelined) before the sink replied to it."""

    def __init__(self, conn):
        self.conn = conn
        self.buffer = b""

    def __iter__(self):
        return self

    def __next__(self):
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise StopIteration
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line + b"\n"

    def pending(self):
        return bool(self.buffer)
