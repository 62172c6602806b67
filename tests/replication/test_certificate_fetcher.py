"""The production certificate fetcher against a real local HTTP server: no redirects, bounded size.

(The URL check refuses anything but https://sns.<region>.amazonaws.com before the fetcher runs;
here the fetcher is called directly, on loopback, to exercise its own refusals.)
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from replication.sns import MAX_CERTIFICATE_BYTES, CertificateFetchError, fetch_certificate_over_https


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/redirect.pem":
            self.send_response(302)
            self.send_header("Location", "/cert.pem")
            self.end_headers()
            return
        payload = b"x" * (MAX_CERTIFICATE_BYTES + 10) if self.path == "/huge.pem" else b"PEM"
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_fetcher_returns_the_body(server_url):
    assert fetch_certificate_over_https(server_url + "/cert.pem") == b"PEM"


def test_the_fetcher_does_not_follow_a_redirect(server_url):
    with pytest.raises(CertificateFetchError, match="302"):
        fetch_certificate_over_https(server_url + "/redirect.pem")


def test_the_fetcher_refuses_an_oversized_certificate(server_url):
    with pytest.raises(CertificateFetchError, match="larger"):
        fetch_certificate_over_https(server_url + "/huge.pem")


def test_an_unreachable_host_is_a_fetch_error():
    with pytest.raises(CertificateFetchError):
        fetch_certificate_over_https("http://127.0.0.1:9/cert.pem", timeout=1)
