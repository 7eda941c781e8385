/*
 * bcryptprimitives.dll for Wine < 9, TEST HARNESS ONLY (never shipped).
 *
 * Rust's standard library on Windows draws its random bytes from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later have it). Wine 8 (Debian 12) lacks the DLL, so
 * no Rust program starts under it. This stand-in exports the one function, on top of
 * BCryptGenRandom with the system RNG, which Wine 8 has. .ci/windows-checks builds it with
 * mingw-w64 next to the test programs only when the installed Wine has no builtin one.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
