#ifndef TESSERA_CRCFOLD_H
#define TESSERA_CRCFOLD_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can run `tessera_crc_fold` (x86-64 with PCLMULQDQ and SSE4.1), else 0.
int tessera_crc_fold_available(void);

/// Folds the first bytes of `p` (n >= 64) for a bit-reflected CRC of up to 64 bits, 16 bytes at a time
/// with carry-less multiplication (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
/// Instruction", 2009). `crc` is the register before those bytes (not inverted), in its low bits.
/// `k` holds x^191, x^127, x^575 and x^511 mod P, bit-reflected, in the high `width` bits of each word
/// (see Checksums/CRCFold.swift, which makes them). On return `rest` holds 16 bytes whose CRC from a zero
/// register equals the register after the consumed bytes; the caller finishes with its table.
/// Returns the number of bytes consumed (a multiple of 16, at least 64); 0 if unavailable or n < 64.
size_t tessera_crc_fold(uint64_t crc, const uint8_t *p, size_t n, const uint64_t k[4], uint8_t rest[16]);

#endif
