/* stsenv status: which source, which credential, and why. */
#include "cli.h"

#include "../core/delivery.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/marker.h"
#include "../core/tree.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 0)
		snprintf(buf, len, "%llds ago", (long long)-s);
	else if (s >= 86400)
		snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s / 3600 % 24));
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

/* Which delivery paths reach the process that runs `stsenv status` (the
 * shell or script that called it), judged from its environment. */
struct delivery {
	bool preload;  /* libstsenv.so in LD_PRELOAD: live getenv, environ, exec */
	bool page;     /* the keeper STSENV_TREE names answers */
	bool handed;   /* the credential in the environment came from stsenv */
	bool uri;      /* it got the tree's endpoint as its credentials URI */
	bool withheld; /* and no ALIBABA_CLOUD_* triple, for its SDK's chain */
	char keeper[16];
};

static const char *getenv_lookup(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static void find_delivery(struct delivery *d)
{
	const char *pre = getenv("LD_PRELOAD"), *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	struct stsenv_delivery rec;
	struct stsenv_marker m;
	struct stsenv_tree t;
	int fd;

	memset(d, 0, sizeof(*d));
	d->preload = pre && strstr(pre, "libstsenv");
	d->handed = stsenv_marker_parse(getenv(STSENV_HANDOFF_VAR), &m) &&
		    stsenv_marker_vouches(&m, STSENV_F_ID, id);
	stsenv_delivery_read(&rec, getenv_lookup, NULL);
	d->uri = rec.present && rec.ours;
	d->withheld = rec.present && rec.withheld;
	if (stsenv_tree_parse(getenv(STSENV_TREE_VAR), &t) &&
	    (fd = stsenv_tree_get_page(&t, 1000)) >= 0) {
		close(fd);
		d->page = true;
		snprintf(d->keeper, sizeof(d->keeper), "%d", (int)t.keeper);
	}
}

/* What status found, gathered once for both formats. */
struct report {
	const struct cli *c;
	const struct stsenv_snap *s;
	struct stsenv_engine_status st;
	struct delivery d;
	char rid[32], left[32], refresh[32];
	int64_t now_ms;
	bool failing; /* the source in use answers with an error */
};

static const char *state_name(const struct report *r, int k)
{
	static const char *const names[] = {[STSENV_SEL_NOT_CONFIGURED] = "not_configured",
					    [STSENV_SEL_IN_USE] = "in_use",
					    [STSENV_SEL_BROKEN] = "failing",
					    [STSENV_SEL_SHADOWED] = "shadowed",
					    [STSENV_SEL_NOT_SELECTED] = "not_selected"};
	enum stsenv_sel_state st = r->c->sel.state[k];

	return st == STSENV_SEL_IN_USE && r->failing ? "failing" : names[st];
}

/* A kind's line: "in use: ..." reads wrong for a source that fails. */
static void detail(const struct report *r, int k, char *buf, size_t len)
{
	if (r->c->sel.state[k] == STSENV_SEL_IN_USE && r->failing)
		snprintf(buf, len, "configured, failing: %s", r->st.last_error);
	else
		snprintf(buf, len, "%s", r->c->sel.why[k]);
}

static void json_str_or_null(const char *s)
{
	if (s)
		cli_json_str(s);
	else
		fputs("null", stdout);
}

static void json_time(const char *key, bool known, long long v)
{
	printf(",\n  \"%s\": ", key);
	if (known)
		printf("%lld", v);
	else
		fputs("null", stdout);
}

static void print_json(const struct report *r)
{
	const struct cli *c = r->c;
	const struct stsenv_snap *s = r->s;
	char buf[448];

	printf("{\n  \"version\": \"%s\",\n  \"source\": ", STSENV_VERSION);
	json_str_or_null(c->sel.chosen >= 0 ? c->sel.kinds[c->sel.chosen] : NULL);
	printf(",\n  \"chain\": "); /* the source described, and each role on top */
	json_str_or_null(c->sel.chosen >= 0 ? c->desc.label : NULL);
	printf(",\n  \"sources\": {");
	for (int k = 0; k < STSENV_SOURCE_KINDS && c->sel.kinds[k]; k++) {
		printf("%s\n    ", k ? "," : "");
		cli_json_str(c->sel.kinds[k]);
		printf(": {\"state\": \"%s\", \"detail\": ", state_name(r, k));
		detail(r, k, buf, sizeof(buf));
		cli_json_str(buf);
		putchar('}');
	}
	printf("\n  },\n  \"credential\": %s,\n  \"access_key_id\": ", s ? "true" : "false");
	json_str_or_null(s ? r->rid : NULL);
	printf(",\n  \"expiration\": ");
	json_str_or_null(s ? s->expiration : NULL);
	json_time("expires_in_seconds", s && s->exp_real_ms != STSENV_NO_EXPIRY,
		  s ? (long long)((s->exp_real_ms - r->now_ms) / 1000) : 0);
	json_time("refresh_in_seconds", s != NULL, (long long)(r->st.next_attempt_in_ms / 1000));
	printf(",\n  \"last_error\": ");
	json_str_or_null(r->st.last_error[0] ? r->st.last_error : NULL);
	printf(",\n  \"static_keys\": [");
	for (int f = 0, n = 0; f < STSENV_FAM_COUNT; f++)
		if (c->policy.static_name[f] && c->policy.static_fam[f]) {
			fputs(n++ ? ", " : "", stdout);
			cli_json_str(c->policy.static_name[f]);
		}
	printf("],\n  \"delivery\": {\"under_stsenv\": %s, \"live_getenv\": %s, "
	       "\"environ_at_load\": %s, \"at_exec\": %s, \"tree_page\": %s, \"handed_down\": %s, "
	       "\"endpoint_uri\": %s}",
	       r->d.preload || r->d.page || r->d.handed ? "true" : "false",
	       r->d.preload ? "true" : "false", r->d.preload ? "true" : "false",
	       r->d.preload ? "true" : "false", r->d.page ? "true" : "false",
	       r->d.handed ? "true" : "false", r->d.uri ? "true" : "false");
	printf("\n}\n");
}

static void print_delivery(const struct delivery *d)
{
	if (!d->preload && !d->page && !d->handed) {
		printf("this process: not under stsenv (run it as `stsenv -- COMMAND`)\n");
		return;
	}
	printf("this process (the caller of stsenv status):\n");
	printf("  live getenv, environ at load, at exec: %s\n",
	       d->preload ? "yes (libstsenv.so is in LD_PRELOAD)" : "no (not in LD_PRELOAD)");
	printf("  tree page:   %s%s%s\n", d->page ? "yes (keeper pid " : "no",
	       d->page ? d->keeper : "", d->page ? ")" : "");
	printf("  handed down: %s\n",
	       d->handed ? "yes (its ALIBABA_CLOUD_ACCESS_KEY_ID came from stsenv)" : "no");
	if (d->uri)
		printf("  delivery:    the tree's credentials endpoint in "
		       "ALIBABA_CLOUD_CREDENTIALS_URI%s\n",
		       d->withheld ? ", no ALIBABA_CLOUD_* variables (for an SDK's default chain)"
				   : "");
}

static void print_text(const struct report *r)
{
	const struct cli *c = r->c;
	const struct stsenv_snap *s = r->s;
	char buf[448];

	printf("source:      %s%s\n", c->sel.chosen >= 0 ? c->sel.kinds[c->sel.chosen] : "(none)",
	       r->failing ? " (failing)" : "");
	if (c->sel.chosen >= 0 && c->desc.nroles)
		printf("chain:       %s\n", c->desc.label);
	for (int k = 0; k < STSENV_SOURCE_KINDS && c->sel.kinds[k]; k++) {
		detail(r, k, buf, sizeof(buf));
		printf("  %-9s  %s\n", c->sel.kinds[k], buf);
	}
	if (s) {
		printf("credential:  %s\n", r->rid);
		printf("expiration:  %s%s%s%s\n", s->expiration ? s->expiration : "never",
		       r->left[0] ? " (in " : "", r->left, r->left[0] ? ")" : "");
		printf("refresh in:  %s\n", r->refresh);
	} else {
		printf("credential:  none\n");
	}
	printf("last error:  %s\n", r->st.last_error[0] ? r->st.last_error : "none");
	for (int f = 0; f < STSENV_FAM_COUNT; f++)
		if (c->policy.static_name[f] && c->policy.static_fam[f])
			printf("static key:  %s is the caller's own; its names are left alone\n",
			       c->policy.static_name[f]);
	print_delivery(&r->d);
}

static const char *waiting_line;

/* A slow source: say what we wait for, rather than stay silent. */
static void say_waiting(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, waiting_line, strlen(waiting_line)) < 0)
		return;
}

static const struct stsenv_snap *fetch(struct cli *c, bool say)
{
	struct sigaction sa = {.sa_handler = say_waiting, .sa_flags = SA_RESTART}, old;
	char line[200];
	const struct stsenv_snap *s;

	if (!say || !isatty(STDERR_FILENO))
		return stsenv_engine_get(c->engine);
	snprintf(line, sizeof(line), "stsenv: waiting for %.120s (at most %lld s)...\n",
		 c->desc.label, (long long)(c->cfg.timeout_ms + 999) / 1000);
	waiting_line = line;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	alarm(1);
	s = stsenv_engine_get(c->engine);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return s;
}

int cmd_status(struct cli *c, const struct cli_args *o, int setup_rc)
{
	struct report r = {.c = c};

	if (!setup_rc) {
		bool say = stsenv_log_enabled(STSENV_LOG_WARN); /* -qq: not even that */

		/* The report says what the engine would log, and better. */
		if (!stsenv_log_enabled(STSENV_LOG_INFO))
			stsenv_log_setup(STSENV_LOG_OFF, NULL);
		r.s = fetch(c, say);
		stsenv_engine_status(c->engine, &r.st);
		r.failing = !r.s && r.st.last_error[0];
	} else {
		snprintf(r.st.last_error, sizeof(r.st.last_error), "%s", c->err.msg);
	}
	r.now_ms = stsenv_real_ms();
	find_delivery(&r.d);
	if (r.s) {
		stsenv_redact_id(r.s->id, r.rid, sizeof(r.rid));
		if (r.s->exp_real_ms != STSENV_NO_EXPIRY)
			duration(r.s->exp_real_ms - r.now_ms, r.left, sizeof(r.left));
		duration(r.st.next_attempt_in_ms, r.refresh, sizeof(r.refresh));
	}
	if (strcmp(o->format, "json") == 0)
		print_json(&r);
	else
		print_text(&r);
	if (fflush(stdout) != 0 || c->cfg.source_bad)
		return EXIT_OWN;
	return r.s ? 0 : 1;
}
