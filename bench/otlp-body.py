#!/usr/bin/env python3
"""Writes one OTLP ExportLogsServiceRequest (protobuf) of N log records to stdout, for bench/otlp.sh's wrk body.

Hand-encoded from opentelemetry/proto/logs/v1/logs.proto (src/Pipeline/Otlp/Protos) because the bench must not
need a protobuf package for Python: the message is five nested types of strings, varints and fixed64s. Each record
is what an instrumented application's SDK sends: a body, a severity, two attributes, its trace and span ids.
"""
import os
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire_type, payload):
    return varint(number << 3 | wire_type) + payload


def length_delimited(number, payload):
    return field(number, 2, varint(len(payload)) + payload)


def any_string(text):
    return length_delimited(1, text.encode())  # AnyValue.string_value


def key_value(key, value):
    return length_delimited(1, key.encode()) + length_delimited(2, value)


def record(i, now_ns):
    body = b"".join([
        field(1, 1, struct.pack("<Q", now_ns)),                              # time_unix_nano
        field(2, 0, varint(9)),                                              # severity_number INFO
        length_delimited(3, b"Information"),                                 # severity_text
        length_delimited(5, any_string(f"request {i} served in 12 ms")),     # body
        length_delimited(6, key_value("http.route", any_string("/checkout"))),
        length_delimited(6, key_value("http.response.status_code", field(3, 0, varint(200)))),  # int_value
        field(8, 5, struct.pack("<I", 1)),                                   # flags: sampled
        length_delimited(9, os.urandom(16)),                                 # trace_id
        length_delimited(10, os.urandom(8)),                                 # span_id
        field(11, 1, struct.pack("<Q", now_ns)),                             # observed_time_unix_nano
    ])
    return length_delimited(2, body)                                         # ScopeLogs.log_records


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    now_ns = 1_764_806_400_000_000_000
    resource = length_delimited(1, key_value("service.name", any_string("checkout")))
    scope = length_delimited(1, length_delimited(1, b"Checkout.Api"))
    scope_logs = length_delimited(2, scope + b"".join(record(i, now_ns) for i in range(count)))
    resource_logs = length_delimited(1, length_delimited(1, resource) + scope_logs)
    sys.stdout.buffer.write(resource_logs)


main()
