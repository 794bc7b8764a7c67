# A stand-in daemon for timing the clients alone: on a Unix socket, it answers every request at
# once with the same bytes (a `show` reply taken from the real daemon), so a client's time against
# it is the client's own cost: starting, connecting, reading the reply and printing it.
# Usage: python3 instant_reply.py SOCKET REPLY_FILE   (prints "ready", then serves until killed)
import os
import socket
import sys


def main():
    path, reply_file = sys.argv[1], sys.argv[2]
    with open(reply_file, 'rb') as f:
        reply = f.read()
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print('ready', flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)  # one request frame, whatever it asks
            conn.sendall(reply)


main()
