"""An event stream that stays quiet: each connection gets the head of a text/event-stream
response, then nothing for SECONDS, then one event, then the end. Prints its port.

    python3 benchmarks/quiet_event_stream.py [SECONDS]
"""
import socket
import sys
import time

quiet = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    connection.recv(65536)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n")
    time.sleep(quiet)
    connection.sendall(b"data: hello\n\n")
    time.sleep(0.2)
    connection.close()
