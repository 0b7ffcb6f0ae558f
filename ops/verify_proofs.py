#!/usr/bin/env python3
"""Check impact-ledger checkpoints and Merkle proofs without the ledger's code.

Needs the Python standard library and one package from PyPI for Ed25519:
    pip install cryptography
Written from RFC 9162 (sections 2.1.3.2 and 2.1.4.2), the C2SP tlog-checkpoint and signed-note
specifications, and docs/AUDIT.md of impact-ledger:
  * leaf N is the 32 raw bytes of event N's "hash"; leaf hash SHA-256(0x00 || leaf),
    node hash SHA-256(0x01 || left || right);
  * a checkpoint is the text "<origin>\\n<tree size>\\n<base64 root>\\n", then a blank line, then
    "\u2014 <key name> <base64(4-byte key id || 64-byte Ed25519 signature of the text)>";
  * the key is given as "<name>+<hex key id>+<base64(0x01 || 32-byte public key)>", the key id
    being the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).

Usage:
  verify_proofs.py --key KEY --checkpoint OLD.txt [--new NEW.txt] [--url URL]
                   [--position N [--event-hash HEX]]
KEY is the verifier string (GET /api/v1/checkpoint/key, published by the municipality) or a file
holding it. In order it checks:
  1. OLD's signature (and NEW's, when given);
  2. with --url: that the log's tree at NEW's size (without --new: the server's own signed head)
     is consistent with OLD: the consistency proof from GET /api/v1/proofs/consistency;
  3. with --url and --position: that event N is in OLD's tree (GET /api/v1/proofs/inclusion),
     and with --event-hash that its hash is that one.
Prints what it proved. Exit 0 when everything holds, 1 when a check fails (the line says which),
2 when an input cannot be read.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.request

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    print("this script needs the `cryptography` package: pip install cryptography", file=sys.stderr)
    sys.exit(2)


class Failed(Exception):
    """A check that did not hold."""


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(leaf):
    return sha256(b"\x00" + leaf)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def read_key(text):
    """(name, key id, public key) of a verifier string."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError("a key is <name>+<hex key id>+<base64 key>")
    name, key_id, key = parts
    key = base64.b64decode(key, validate=True)
    if len(key) != 33 or key[0] != 0x01:
        raise ValueError("not an Ed25519 verifier key (type 0x01 and 32 bytes)")
    public = key[1:]
    if sha256(name.encode() + b"\n\x01" + public)[:4].hex() != key_id:
        raise ValueError("the key id does not belong to this name and key")
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(public)


def verify_checkpoint(key, note):
    """(origin, size, root) of a checkpoint signed by `key`."""
    name, key_id, public = key
    split = note.rfind("\n\n")
    if split < 0:
        raise Failed("not a signed note: no blank line before the signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    known = 0
    for line in signatures.splitlines():
        prefix = "\u2014 " + name + " "
        if not line.startswith(prefix):
            continue
        signed = base64.b64decode(line[len(prefix) :])
        if len(signed) != 68 or signed[:4] != key_id:
            continue
        known += 1
        try:
            public.verify(signed[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise Failed("the signature does not match: the checkpoint was changed after signing")
    if known == 0:
        raise Failed("the checkpoint is not signed by this key: it was signed by another key")
    lines = text.split("\n")
    if len(lines) < 4:
        raise Failed("a checkpoint has three lines: origin, tree size, root hash")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise Failed("the root hash is not 32 bytes")
    return lines[0], int(lines[1]), root


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise Failed(f"leaf {index} is not inside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Failed("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise Failed("the inclusion proof does not lead to the checkpoint's root")


def verify_consistency(first, second, path, first_hash, second_hash):
    """RFC 9162 section 2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == 0 or first > second:
        raise Failed(f"no consistency proof goes from {first} events to {second}")
    if first == second:
        if path or first_hash != second_hash:
            raise Failed("two checkpoints of the same size with different roots")
        return
    if not path:
        raise Failed("the consistency proof is empty")
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failed("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_hash or sr != second_hash:
        raise Failed("the newer log does not extend the older checkpoint: history was rewritten")


def get(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read().decode("utf-8")


def hashes(answer):
    return [bytes.fromhex(h) for h in answer["hashes"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--key", required=True)
    parser.add_argument("--checkpoint", required=True, help="the older (or only) checkpoint")
    parser.add_argument("--new", help="a newer checkpoint, e.g. from this year's report")
    parser.add_argument("--url", help="the ledger, e.g. https://ledger.example.dk")
    parser.add_argument("--position", type=int, help="an event position to prove included")
    parser.add_argument("--event-hash", help="the event's hash (hex) at --position")
    args = parser.parse_args()
    try:
        try:
            with open(args.key, encoding="utf-8") as file:
                key_text = file.read()
        except OSError:
            key_text = args.key
        key = read_key(key_text)
        with open(args.checkpoint, encoding="utf-8") as file:
            old_note = file.read()
        new_note = None
        if args.new:
            with open(args.new, encoding="utf-8") as file:
                new_note = file.read()
    except (OSError, ValueError) as error:
        print(f"cannot read the input: {error}", file=sys.stderr)
        return 2
    try:
        check(args, key, old_note, new_note)
    except Failed as error:
        print(f"FAILED: {error}")
        return 1
    return 0


def check(args, key, old_note, new_note):
    origin, size, root = verify_checkpoint(key, old_note)
    print(f"checkpoint: {size} events of {origin}, root {root.hex()}, signature ok")
    new = verify_checkpoint(key, new_note) if new_note else None
    if new:
        print(f"newer checkpoint: {new[1]} events, root {new[2].hex()}, signature ok")
    if not args.url:
        return
    base = args.url.rstrip("/")
    if new is None:
        new = verify_checkpoint(key, get(base + "/api/v1/checkpoint"))
        print(f"the server's head: {new[1]} events, root {new[2].hex()}, signature ok")
    if new[0] != origin:
        raise Failed(f"the checkpoints are of two logs: {origin} and {new[0]}")
    if new[1] < size:
        raise Failed(f"the newer tree has {new[1]} events, fewer than the checkpoint's {size}")
    answer = json.loads(get(f"{base}/api/v1/proofs/consistency?from={size}&to={new[1]}"))
    verify_consistency(size, new[1], hashes(answer), root, new[2])
    print(f"consistent: the tree of {new[1]} events extends the tree of {size} events")
    if args.position is None:
        return
    proof = json.loads(get(f"{base}/api/v1/proofs/inclusion?position={args.position}&tree_size={size}"))
    leaf = bytes.fromhex(proof["leaf_hash"])
    if args.event_hash and leaf != leaf_hash(bytes.fromhex(args.event_hash)):
        raise Failed(f"the event at position {args.position} does not have the hash {args.event_hash}")
    verify_inclusion(args.position - 1, size, leaf, hashes(proof), root)
    print(f"included: the event at position {args.position} is in the tree of {size} events")


if __name__ == "__main__":
    sys.exit(main())
