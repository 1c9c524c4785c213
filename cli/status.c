/* stsenv status: which source, which credential, and why. */
#include "cli.h"

#include "../core/clock.h"
#include "../core/marker.h"
#include "../core/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_cli_json_str(const char *s);

static void duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 0)
		snprintf(buf, len, "%llds ago", (long long)-s);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

/* Which delivery paths reach the process that runs `stsenv status` (the
 * shell or script that called it), judged from its environment. */
struct delivery {
	bool preload; /* libstsenv.so in LD_PRELOAD: live getenv, environ, exec */
	bool page;    /* the keeper STSENV_TREE names answers */
	bool handed;  /* the credential in the environment came from stsenv */
	char keeper[16];
};

static void find_delivery(struct delivery *d)
{
	const char *pre = getenv("LD_PRELOAD"), *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	struct stsenv_marker m;
	struct stsenv_tree t;
	int fd;

	memset(d, 0, sizeof(*d));
	d->preload = pre && strstr(pre, "libstsenv");
	d->handed = stsenv_marker_parse(getenv(STSENV_HANDOFF_VAR), &m) &&
		    stsenv_marker_vouches(&m, STSENV_F_ID, id);
	if (stsenv_tree_parse(getenv(STSENV_TREE_VAR), &t) &&
	    (fd = stsenv_tree_get_page(&t, 1000)) >= 0) {
		close(fd);
		d->page = true;
		snprintf(d->keeper, sizeof(d->keeper), "%d", (int)t.keeper);
	}
}

int cmd_status(struct cli *c, bool json, int setup_rc)
{
	struct delivery d;
	const struct stsenv_snap *s = NULL;
	struct stsenv_engine_status st = {0};
	char rid[32] = "", left[32] = "", refresh[32] = "";
	int64_t now_ms;

	if (!setup_rc) {
		s = stsenv_engine_get(c->engine);
		stsenv_engine_status(c->engine, &st);
	} else {
		snprintf(st.last_error, sizeof(st.last_error), "%s", c->err.msg);
	}
	now_ms = stsenv_real_ms();
	find_delivery(&d);
	if (s) {
		stsenv_redact_id(s->id, rid, sizeof(rid));
		if (s->exp_real_ms != STSENV_NO_EXPIRY)
			duration(s->exp_real_ms - now_ms, left, sizeof(left));
		duration(st.next_attempt_in_ms, refresh, sizeof(refresh));
	}
	if (json) {
		printf("{\n  \"source\": ");
		cli_json_str(c->sel.chosen >= 0 ? c->sel.kinds[c->sel.chosen] : "");
		printf(",\n  \"sources\": {");
		for (int k = 0; k < STSENV_SOURCE_KINDS && c->sel.kinds[k]; k++) {
			printf("%s\n    ", k ? "," : "");
			cli_json_str(c->sel.kinds[k]);
			fputs(": ", stdout);
			cli_json_str(c->sel.why[k]);
		}
		printf("\n  },\n  \"credential\": %s", s ? "true" : "false");
		printf(",\n  \"access_key_id\": ");
		cli_json_str(rid);
		printf(",\n  \"expiration\": ");
		cli_json_str(s && s->expiration ? s->expiration : "");
		printf(",\n  \"expires_in_seconds\": %lld",
		       s && s->exp_real_ms != STSENV_NO_EXPIRY
			       ? (long long)((s->exp_real_ms - now_ms) / 1000)
			       : -1LL);
		printf(",\n  \"refresh_in_seconds\": %lld",
		       s ? (long long)(st.next_attempt_in_ms / 1000) : -1LL);
		printf(",\n  \"last_error\": ");
		cli_json_str(st.last_error);
		printf(",\n  \"delivery\": {\"live_getenv\": %s, \"environ_at_load\": %s, "
		       "\"at_exec\": %s, \"tree_page\": %s, \"handed_down\": %s}",
		       d.preload ? "true" : "false", d.preload ? "true" : "false",
		       d.preload ? "true" : "false", d.page ? "true" : "false",
		       d.handed ? "true" : "false");
		printf("\n}\n");
	} else {
		printf("source:      %s\n",
		       c->sel.chosen >= 0 ? c->sel.kinds[c->sel.chosen] : "(none)");
		for (int k = 0; k < STSENV_SOURCE_KINDS && c->sel.kinds[k]; k++)
			printf("  %-9s  %s\n", c->sel.kinds[k], c->sel.why[k]);
		if (s) {
			printf("credential:  %s\n", rid);
			printf("expiration:  %s%s%s%s\n", s->expiration ? s->expiration : "never",
			       left[0] ? " (in " : "", left, left[0] ? ")" : "");
			printf("refresh in:  %s\n", refresh);
		} else {
			printf("credential:  none\n");
		}
		printf("last error:  %s\n", st.last_error[0] ? st.last_error : "none");
		printf("this process (the caller of stsenv status):\n");
		printf("  live getenv, environ at load, at exec: %s\n",
		       d.preload ? "yes (libstsenv.so is in LD_PRELOAD)"
				 : "no (not under stsenv: run it as `stsenv -- COMMAND`)");
		printf("  tree page:   %s%s%s\n", d.page ? "yes (keeper pid " : "no",
		       d.page ? d.keeper : "", d.page ? ")" : "");
		printf("  handed down: %s\n",
		       d.handed ? "yes (its ALIBABA_CLOUD_ACCESS_KEY_ID came from stsenv)" : "no");
	}
	return s ? 0 : 1;
}
