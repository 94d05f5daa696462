"""An HTTP server on 127.0.0.1 for the download tests, with misbehaviours.

Paths: /ok/NAME serves the body; /drop/NAME sends half the body on the
first request and closes the connection (later requests behave, honouring
Range); /slow/NAME sends a few bytes and then stalls; /paced/NAME sends
the body in small timed chunks (so two clients overlap); /endless/NAME
answers 200 with no length and streams bytes until the client hangs up
(stopping at ENDLESS_LIMIT, counted in .sent); anything else is 404.
Every request is recorded (path, Range header) in .log.
"""
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENDLESS_LIMIT = 64 << 20  # bounds the test against a client with no cap


class Handler(BaseHTTPRequestHandler):
    """One request to a Server (self.server.outer): the misbehaviours above."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        outer = self.server.outer
        mode, _, name = self.path.strip("/").partition("/")
        outer.log.append((self.path, self.headers.get("Range")))
        body = outer.bodies.get(name)
        if mode == "endless":
            self.endless()
            return
        if body is None or mode not in ("ok", "drop", "slow", "paced"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and mode != "slow":
            start = int(rng[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        data = body[start:]
        try:
            if mode == "drop" and self.path not in outer.dropped:
                outer.dropped.add(self.path)
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if mode == "slow":
                self.wfile.write(data[:16])
                self.wfile.flush()
                time.sleep(30)
                return
            if mode == "paced":
                for i in range(0, len(data), 8192):
                    self.wfile.write(data[i:i + 8192])
                    time.sleep(0.01)
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def endless(self):
        outer = self.server.outer
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"x" * 65536
        try:
            while outer.sent < ENDLESS_LIMIT:
                self.wfile.write(chunk)
                outer.sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server:
    """The server, on a free port, serving bodies (name -> bytes) until close()."""

    def __init__(self, bodies, tls=None):
        """tls: (certfile, keyfile) to serve HTTPS instead of HTTP."""
        self.bodies = bodies  # name -> bytes
        self.log = []
        self.dropped = set()
        self.sent = 0  # bytes of /endless/ bodies written
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.outer = self
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, mode, name):
        return f"{self.scheme}://127.0.0.1:{self.port}/{mode}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
