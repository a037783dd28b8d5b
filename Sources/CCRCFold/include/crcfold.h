#ifndef TESSERA_CRCFOLD_H
#define TESSERA_CRCFOLD_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU can run `tessera_crc64nvme_fold` (x86-64 with PCLMULQDQ), else 0.
int tessera_crc64nvme_fold_available(void);

/// Folds the first bytes of `p` (n >= 64) into 16 bytes, 16 at a time with carry-less multiplication
/// (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction", 2009).
/// `crc` is the CRC-64/NVME register before those bytes (not inverted). On return `rest` holds 16 bytes
/// whose CRC from a zero register equals the register after the consumed bytes; the caller finishes
/// with a table: crc = table(0, rest), then the n - returned bytes left over.
/// Returns the number of bytes consumed (a multiple of 16, at least 64); 0 if unavailable or n < 64.
size_t tessera_crc64nvme_fold(uint64_t crc, const uint8_t *p, size_t n, uint8_t rest[16]);

#endif
