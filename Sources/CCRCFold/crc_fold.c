// Reflected CRCs by folding with PCLMULQDQ. The register is kept as a 128-bit polynomial X of the bytes
// seen so far; moving it 16·d bytes on is X·x^(128d) mod P, computed from X's two 64-bit halves as
// lo·(x^(128d+63) mod P) ⊕ hi·(x^(128d-1) mod P) (the exponents are one less than the distance
// because a carry-less product of two bit-reflected 64-bit values comes out multiplied by x). The same
// code serves CRCs narrower than 64 bits: their constants sit in the high bits of each word, and the
// products still fit in 128 bits. Four registers run 64 bytes apart to hide the multiplier's latency,
// then fold into one. The final reduction is left to the caller's table (16 bytes, once per call).
// ChecksumsTests checks this against the table implementations on every length and alignment of interest.
#include "crcfold.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int tessera_crc_fold_available(void) {
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
size_t tessera_crc_fold(uint64_t crc, const uint8_t *p, size_t n, const uint64_t k[4], uint8_t rest[16]) {
    if (n < 64) return 0;
    const __m128i k128 = _mm_set_epi64x((long long)k[1], (long long)k[0]);
    const __m128i k512 = _mm_set_epi64x((long long)k[3], (long long)k[2]);
    // The register joins the message: XORed into its first bytes (a reflected CRC's property).
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

int tessera_crc_fold_available(void) { return 0; }
size_t tessera_crc_fold(uint64_t crc, const uint8_t *p, size_t n, const uint64_t k[4], uint8_t rest[16]) {
    (void)crc; (void)p; (void)n; (void)k; (void)rest;
    return 0;
}

#endif
