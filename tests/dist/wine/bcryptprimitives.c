/*
 * ProcessPrng for Wine 8, which lacks bcryptprimitives.dll (Windows 10 and
 * later have it; Wine has it from 9.0). Go 1.24+ programs need it at start,
 * before main: without it grantbook.exe dies with "bcryptprimitives.dll not
 * found". Only tests/dist/windows-wine.sh puts this into its Wine prefix;
 * it is never shipped. It draws from Wine's own system RNG.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
