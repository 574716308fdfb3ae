#!/usr/bin/python3
"""Recompute station-agent's journal hash chain (SPEC §7) independently of station-agent.

Usage: journal-chain.py JOURNAL.sqlite3   (read-only; prints the last seq and hash, exit 1 at the first break)

hash(event) = SHA-256(hash(previous event) || canonical bytes), from 32 zero bytes. The canonical bytes are the
columns below in this order, each as stored: NULL -> 00; INTEGER -> 01 + 8 bytes big-endian two's complement;
TEXT -> 02 + 4-byte big-endian length + UTF-8 bytes; BLOB -> 03 + 4-byte big-endian length + bytes;
REAL -> 04 + 8 bytes big-endian IEEE 754.
"""
import hashlib, sqlite3, struct, sys

COLUMNS = ("seq code raw symbology direction outcome reason command carrier carrier_candidates device role "
           "usb_vendor_id usb_product_id usb_serial usb_port source wall_ns boot_id monotonic_ns clock_synced "
           "state_before state_after duplicate_of mode_change undo_of verdict photo_path photo_sha256").split()

def encode(value):
    if value is None:
        return b"\x00"
    if isinstance(value, int):
        return b"\x01" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"\x04" + struct.pack(">d", value)
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
        return b"\x02" + struct.pack(">I", len(value)) + value
    return b"\x03" + struct.pack(">I", len(value)) + bytes(value)

def main(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    db.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    previous, last_seq = bytes(32), 0
    for row in db.execute("SELECT %s, hash FROM events ORDER BY seq" % ", ".join(COLUMNS)):
        *fields, stored = row
        if fields[0] != last_seq + 1:
            print("break at seq %d: seq jumps from %d" % (last_seq + 1, last_seq)); return 1
        digest = hashlib.sha256(previous + b"".join(encode(v) for v in fields)).digest()
        if stored != digest:
            print("break at seq %d: stored hash does not match" % fields[0]); return 1
        previous, last_seq = digest, fields[0]
    print("%d %s" % (last_seq, previous.hex()))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
