"""Table-driven CRC32C and CRC64/NVME (botocore has them only with awscrt), and S3's multipart checksums.

Everything here is computed from the bytes, independently of the daemon: the part checksums, the
COMPOSITE value (ALG over the concatenated raw part checksums, then "-N") and the FULL_OBJECT value
(the plain checksum of the whole object).
"""

from __future__ import annotations

import base64
import hashlib
import zlib


def _table(poly: int) -> list[int]:
    out = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        out.append(c)
    return out


_CRC32C_TABLE = _table(0x82F63B78)
_CRC64NVME_TABLE = _table(0x9A6C9329AC4BC9B5)


def crc32c(data: bytes, crc: int = 0) -> int:
    c = crc ^ 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        c = (c >> 8) ^ t[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


def crc64nvme(data: bytes, crc: int = 0) -> int:
    m = 0xFFFFFFFFFFFFFFFF
    c = crc ^ m
    t = _CRC64NVME_TABLE
    for b in data:
        c = (c >> 8) ^ t[(c ^ b) & 0xFF]
    return c ^ m


def digest(algorithm: str, data: bytes) -> bytes:
    """Raw checksum bytes (CRCs big-endian, as S3 sends them)."""
    a = algorithm.upper()
    if a == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if a == "CRC32C":
        return crc32c(data).to_bytes(4, "big")
    if a == "CRC64NVME":
        return crc64nvme(data).to_bytes(8, "big")
    if a == "SHA1":
        return hashlib.sha1(data).digest()
    if a == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(algorithm)


def b64(algorithm: str, data: bytes) -> str:
    return base64.b64encode(digest(algorithm, data)).decode()


def composite(algorithm: str, parts: list[bytes]) -> str:
    raw = b"".join(digest(algorithm, p) for p in parts)
    return f"{b64(algorithm, raw)}-{len(parts)}"


def full_object(algorithm: str, parts: list[bytes]) -> str:
    return b64(algorithm, b"".join(parts))


# Self-checks against the catalogued check values ("123456789").
assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
