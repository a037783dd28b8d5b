// CRC-64/NVME by folding with PCLMULQDQ. The register is kept as a 128-bit polynomial X of the bytes
// seen so far; moving it 16·d bytes on is X·x^(128d) mod P, computed from X's two 64-bit halves as
// lo·(x^(128d+63) mod P) ⊕ hi·(x^(128d-1) mod P) (the exponents are one less than the distance
// because a carry-less product of two bit-reflected 64-bit values comes out multiplied by x).
// Four registers run 64 bytes apart to hide the multiplier's latency, then fold into one. The final
// reduction to 64 bits is left to the caller's table (16 bytes, once per call).
//
// The constants are bit-reflected x^n mod P for P = 0x9A6C9329AC4BC9B5 (reflected); they were made by
// shifting 1<<63 right n times, XORing P on each carry out, and ChecksumsTests checks this code against
// the table implementation on every length and alignment of interest.
#include "crcfold.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

static const uint64_t k128_lo = 0xeadc41fd2ba3d420ULL; // x^191 mod P
static const uint64_t k128_hi = 0x21e9761e252621acULL; // x^127 mod P
static const uint64_t k512_lo = 0x0c32cdb31e18a84aULL; // x^575 mod P
static const uint64_t k512_hi = 0x62242240ace5045aULL; // x^511 mod P

int tessera_crc64nvme_fold_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_PCLMUL) != 0 && (c & bit_SSE4_1) != 0;
}

__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i x, __m128i k, __m128i next) {
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse4.1")))
size_t tessera_crc64nvme_fold(uint64_t crc, const uint8_t *p, size_t n, uint8_t rest[16]) {
    if (n < 64) return 0;
    const __m128i k128 = _mm_set_epi64x((long long)k128_hi, (long long)k128_lo);
    const __m128i k512 = _mm_set_epi64x((long long)k512_hi, (long long)k512_lo);
    // The register joins the message: XORed into its first eight bytes (a reflected CRC's property).
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi64_si128((long long)crc));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    size_t i = 64;
    for (; n - i >= 64; i += 64) {
        x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)(p + i)));
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + i + 16)));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + i + 32)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + i + 48)));
    }
    __m128i x = fold(x0, k128, x1);
    x = fold(x, k128, x2);
    x = fold(x, k128, x3);
    for (; n - i >= 16; i += 16) x = fold(x, k128, _mm_loadu_si128((const __m128i *)(p + i)));
    _mm_storeu_si128((__m128i *)rest, x);
    return i;
}

#else

int tessera_crc64nvme_fold_available(void) { return 0; }
size_t tessera_crc64nvme_fold(uint64_t crc, const uint8_t *p, size_t n, uint8_t rest[16]) {
    (void)crc; (void)p; (void)n; (void)rest;
    return 0;
}

#endif
