/* libFuzzer harness: the tree's page as a reader sees it, whatever a
 * hostile or broken writer left in it (core/page.h trusts nothing there).
 *
 * Input: bytes laid over a page whose header is made to pass (magic,
 * version, size, fingerprint: a reader checks those before anything else),
 * so that the fuzzer spends its time on the lengths, offsets, flags, state,
 * sequence number and data.  The seqlock's odd state is kept as given:
 * a reader must give up on a page that stays busy, not spin.
 *
 * Invariants: the reader never reads outside the page (ASan), and what it
 * accepts is a terminated error line within its bound. */
#include "fuzz.h"

#include "../core/page.h"
#include "../core/page_layout.h"

#define PAGE_FP 0x5eed5eed5eed5eedULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(64) struct stsenv_page_shared sh;
	struct stsenv_page_status st;

	memset(&sh, 0, sizeof(sh));
	memcpy(&sh, data, size < sizeof(sh) ? size : sizeof(sh));
	sh.magic = STSENV_PAGE_MAGIC;
	sh.version = STSENV_PAGE_VERSION;
	sh.size = sizeof(sh);
	sh.fingerprint = PAGE_FP;
	/* A busy page (odd) is refused after a bounded wait: keep it rare so
	 * that the fuzzer mostly explores the fields behind it. */
	if ((sh.seq & 1) && !(size > 0 && data[0] == 0xff))
		sh.seq &= ~1ULL;
	if (stsenv_page_check_bytes(&sh, sizeof(sh), PAGE_FP, &st))
		FUZZ_CHECK(memchr(st.error, '\0', sizeof(st.error)) != NULL);
	return 0;
}
