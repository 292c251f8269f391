# localstripe bound to 127.0.0.1 (its own CLI binds every interface) on a given or free port,
# with its pickle-to-/tmp persistence turned off so parallel instances never share state.
import socket
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

resources.Store.dump_to_disk = lambda self: None

port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
print(f"LISTENING {sock.getsockname()[1]}", flush=True)
web.run_app(app, sock=sock, print=None, access_log=None)
