/* stsenv: runs a command with the preload and a fresh credential, and
 * prints or explains the current credential. */
#include "../core/config.h"
#include "../core/elfkind.h"
#include "../core/engine.h"
#include "../core/handoff.h"
#include "../core/log.h"
#include "../core/names.h"
#include "../core/page.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OWN	125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND	127

#ifndef STSENV_LIBDIR
#define STSENV_LIBDIR "/usr/local/lib/stsenv"
#endif

static const char usage[] =
	"usage: stsenv [exec] [--source S] [--] COMMAND [ARG...]\n"
	"       stsenv env [--source S] [--format sh|json|dotenv]\n"
	"       stsenv status [--source S] [--json]\n"
	"       stsenv --help | --version\n"
	"\n"
	"Runs COMMAND with short-lived STS credentials served through the usual\n"
	"environment names (ALIBABA_CLOUD_ACCESS_KEY_ID, ..._SECRET,\n"
	"ALIBABA_CLOUD_SECURITY_TOKEN and others), kept fresh while it runs.\n"
	"Sources (STSENV_SOURCE, default auto): uri (ALIBABA_CLOUD_CREDENTIALS_URI),\n"
	"file (STSENV_CREDENTIALS_FILE, default " STSENV_DEFAULT_FILE ").\n"
	"Exit status: COMMAND's; 125 if stsenv fails, 126 if COMMAND cannot run,\n"
	"127 if it is not found.  See README.md for every variable.\n";

static int fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "stsenv: error: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return EXIT_OWN;
}

struct ctx {
	struct stsenv_config cfg;
	struct stsenv_names names;
	struct stsenv_selection sel;
	struct stsenv_engine *engine;
	bool static_family[STSENV_FAM_COUNT];
	struct stsenv_err err;
};

/* Families whose id the user set to a static key of their own. */
static void find_static(struct ctx *c)
{
	const char *marker = getenv(STSENV_HANDOFF_VAR);

	for (const struct stsenv_name *n = stsenv_builtin_names; n->name; n++) {
		const char *v = getenv(n->name);
		int64_t exp;
		if (n->field != STSENV_F_ID || !v || !*v || c->cfg.override)
			continue;
		if (!stsenv_handoff_matches(marker, v, &exp))
			c->static_family[n->family] = true;
	}
	for (int i = 0; i < c->names.nextra; i++) {
		const char *v = getenv(c->names.extra[i].name);
		int64_t exp;
		if (c->names.extra[i].field == STSENV_F_ID && v && *v && !c->cfg.override &&
		    !stsenv_handoff_matches(marker, v, &exp))
			c->static_family[STSENV_FAM_USER] = true;
	}
}

static int setup(struct ctx *c, const char *source)
{
	struct stsenv_source *src;
	struct timespec ts;

	if (source && setenv("STSENV_SOURCE", source, 1) < 0)
		return fail("cannot set STSENV_SOURCE: %s%s", strerror(errno), "");
	stsenv_config_load(&c->cfg, getenv);
	if (source && strcmp(c->cfg.source, source) != 0)
		return fail("unknown source \"%s\"%s (use auto, uri, file, oidc, profile or ecs)",
			    source, "");
	if (stsenv_names_init(&c->names, c->cfg.vars, &c->err))
		stsenv_log(STSENV_LOG_WARN, "%s", c->err.msg);
	find_static(c);
	src = stsenv_select_source(&c->cfg, getenv, &c->sel, &c->err);
	if (!src)
		return EXIT_OWN;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->engine = stsenv_engine_new(&(struct stsenv_engine_opts){
		.source = src,
		.clock = &stsenv_system_clock,
		.margin_ms = c->cfg.margin_ms,
		.timeout_ms = c->cfg.timeout_ms,
		.seed = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid(),
		.background = false,
	});
	if (!c->engine)
		return fail("out of memory%s%s", "", "");
	return 0;
}

/* Every name served to a family that is not the user's own static key. */
static bool serves(const struct ctx *c, const struct stsenv_name *n)
{
	return !c->static_family[n->family];
}

static void for_each_name(const struct ctx *c, void (*fn)(const char *, const char *, void *),
			  const struct stsenv_snap *s, void *arg)
{
	char marker[96];

	for (const struct stsenv_name *n = stsenv_builtin_names; n->name; n++)
		if (serves(c, n))
			fn(n->name, stsenv_snap_field(s, (enum stsenv_field)n->field), arg);
	for (int i = 0; i < c->names.nextra; i++)
		if (serves(c, &c->names.extra[i]))
			fn(c->names.extra[i].name,
			   stsenv_snap_field(s, (enum stsenv_field)c->names.extra[i].field), arg);
	stsenv_handoff_format(s->id, s->exp_real_ms, marker, sizeof(marker));
	fn(STSENV_HANDOFF_VAR, marker, arg);
}

static void put_env(const char *name, const char *value, void *arg)
{
	int *rc = arg;

	if (value ? setenv(name, value, 1) : unsetenv(name))
		*rc = -1;
}

/* Directory of this executable, for finding libstsenv.so beside it. */
static void library_path(char *buf, size_t len)
{
	char self[PATH_MAX], *slash;
	const char *cands[3];
	char a[PATH_MAX + 32], b[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat st;

	buf[0] = '\0';
	if (getenv("STSENV_LIBRARY") && *getenv("STSENV_LIBRARY")) {
		snprintf(buf, len, "%s", getenv("STSENV_LIBRARY"));
		return;
	}
	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(a, sizeof(a), "%s/libstsenv.so", self);
	snprintf(b, sizeof(b), "%s/../lib/stsenv/libstsenv.so", self);
	cands[0] = a;
	cands[1] = b;
	cands[2] = STSENV_LIBDIR "/libstsenv.so";
	for (int i = 0; i < 3; i++) {
		if (stat(cands[i], &st) == 0 && realpath(cands[i], self)) {
			snprintf(buf, len, "%s", self);
			return;
		}
	}
}

static int prepend_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int rc;

	if (old && strstr(old, lib))
		return 0;
	if (asprintf(&val, "%s%s%s", lib, old && *old ? " " : "", old ? old : "") < 0)
		return -1;
	rc = setenv("LD_PRELOAD", val, 1);
	free(val);
	return rc;
}

/* The tree's credential page: every preload below maps it, takes a newer
 * credential from it instead of fetching, and publishes what it fetches.
 * Without it (no memfd here) each process refreshes on its own. */
static struct stsenv_page *share_page(const struct stsenv_snap *s)
{
	struct stsenv_cred c = {(char *)s->id, (char *)s->secret, (char *)s->token, s->exp_real_ms};
	struct stsenv_page *p;
	char num[16];
	int fd;

	p = stsenv_page_create(&fd);
	if (!p) {
		stsenv_log(STSENV_LOG_INFO, "no shared credential page (memfd): %s",
			   strerror(errno));
		unsetenv(STSENV_PAGE_VAR);
		return NULL;
	}
	stsenv_page_publish(p, &c);
	snprintf(num, sizeof(num), "%d", fd);
	setenv(STSENV_PAGE_VAR, num, 1);
	return p;
}

static volatile pid_t child_pid;

/* Signals sent to stsenv by another process reach the command.  Those the
 * terminal generates (Ctrl-C) already reach it directly, as it shares our
 * process group: forwarding them too would deliver them twice. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (child_pid > 0 && (si->si_code == SI_USER || si->si_code == SI_QUEUE) &&
	    si->si_pid != child_pid)
		kill(child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* stsenv stays as the command's parent: it owns the tree's refresher and
 * publishes every new credential into the page that the preloads below
 * read, so a tree that never reads a name itself (a bash loop running Go
 * tools) still hands fresh credentials to every child it starts. */
static int supervise(struct ctx *c, struct stsenv_page *p, char **argv)
{
	struct sigaction sa = {0};
	struct stsenv_peer peer;
	int errpipe[2], err = 0, status;
	ssize_t got;
	pid_t pid;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return fail("pipe: %s%s", strerror(errno), "");
	pid = fork();
	if (pid < 0)
		return fail("fork: %s%s", strerror(errno), "");
	if (pid == 0) {
		close(errpipe[0]);
		execvp(argv[0], argv);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0) {
			/* the parent then sees a plain exit 127 */
		}
		_exit(EXIT_NOT_FOUND);
	}
	child_pid = pid;
	close(errpipe[1]);
	do
		got = read(errpipe[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(errpipe[0]);
	if (got == (ssize_t)sizeof(err)) {
		waitpid(pid, &status, 0);
		fprintf(stderr, "stsenv: error: %s: %s\n", argv[0],
			err == ENOENT ? "command not found" : strerror(err));
		return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	if (p) {
		stsenv_page_peer(p, &peer);
		stsenv_engine_set_peer(c->engine, &peer);
		stsenv_engine_start(c->engine);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("waitpid: %s%s", strerror(errno), "");
	if (WIFSIGNALED(status)) {
		/* Die of the same signal, so our parent sees what happened. */
		int sig = WTERMSIG(status);
		sigset_t set;
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

static const struct stsenv_snap *fetch_or_explain(struct ctx *c)
{
	const struct stsenv_snap *s = stsenv_engine_get(c->engine);
	struct stsenv_engine_status st;

	if (!s) {
		stsenv_engine_status(c->engine, &st);
		fprintf(stderr, "stsenv: error: no credential: %s\n",
			st.last_error[0] ? st.last_error : "unknown error");
	}
	return s;
}

/* Finds cmd as execvp would; false if it cannot. */
static bool find_command(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return true;
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, len, "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Says once what a program that cannot load the preload will see. */
static void explain_kind(const char *cmd)
{
	char path[PATH_MAX];

	if (!find_command(cmd, path, sizeof(path)))
		return;
	switch (stsenv_elf_kind(path)) {
	case STSENV_ELF_STATIC:
		stsenv_log(STSENV_LOG_INFO,
			   "%s is statically linked: it never loads the preload and receives "
			   "credentials at start only",
			   cmd);
		break;
	case STSENV_ELF_GO:
		stsenv_log(STSENV_LOG_INFO,
			   "%s is a Go program: it reads its environment at start and receives "
			   "credentials at start only",
			   cmd);
		break;
	default: break;
	}
}

static int cmd_exec(struct ctx *c, char **argv)
{
	struct stsenv_page *page;
	char lib[PATH_MAX];
	const struct stsenv_snap *s;
	int rc = 0;

	library_path(lib, sizeof(lib));
	if (!lib[0])
		return fail("cannot find libstsenv.so (set STSENV_LIBRARY)%s%s", "", "");
	if (access(lib, R_OK) != 0)
		return fail("cannot read %s: %s", lib, strerror(errno));
	s = fetch_or_explain(c);
	if (!s)
		return EXIT_OWN;
	page = share_page(s);
	for_each_name(c, put_env, s, &rc);
	if (rc < 0 || prepend_preload(lib) < 0)
		return fail("cannot set up the environment: %s%s", strerror(errno), "");
	explain_kind(argv[0]);
	return supervise(c, page, argv);
}

/* sh: single quotes; dotenv: bare when safe, else double quotes. */
static void print_sh(const char *name, const char *value, void *arg)
{
	(void)arg;
	if (!value) {
		printf("unset %s\n", name);
		return;
	}
	printf("export %s='", name);
	for (const char *p = value; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	puts("'");
}

static void print_dotenv(const char *name, const char *value, void *arg)
{
	bool plain = true;

	(void)arg;
	if (!value)
		return;
	for (const char *p = value; *p; p++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=._:-",
			    *p))
			plain = false;
	if (plain) {
		printf("%s=%s\n", name, value);
		return;
	}
	printf("%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '$' || *p == '`')
			putchar('\\');
		putchar(*p);
	}
	puts("\"");
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const char *name, const char *value, void *arg)
{
	int *first = arg;

	if (!value)
		return;
	printf("%s\n  ", *first ? "{" : ",");
	*first = 0;
	json_str(name);
	fputs(": ", stdout);
	json_str(value);
}

static int cmd_env(struct ctx *c, const char *format)
{
	const struct stsenv_snap *s = fetch_or_explain(c);
	int first = 1;

	if (!s)
		return EXIT_OWN;
	if (strcmp(format, "sh") == 0)
		for_each_name(c, print_sh, s, NULL);
	else if (strcmp(format, "dotenv") == 0)
		for_each_name(c, print_dotenv, s, NULL);
	else {
		for_each_name(c, print_json, s, &first);
		puts("\n}");
	}
	return fflush(stdout) == 0 ? 0 : EXIT_OWN;
}

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
	bool page;    /* a valid tree page behind STSENV_PAGE_FD */
	bool handed;  /* the credential in the environment came from stsenv */
	char page_fd[16];
};

static void find_delivery(struct delivery *d)
{
	const char *pre = getenv("LD_PRELOAD"), *fd = getenv(STSENV_PAGE_VAR);
	const char *id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
	int64_t exp;
	char *end;
	long n;

	memset(d, 0, sizeof(*d));
	d->preload = pre && strstr(pre, "libstsenv");
	d->handed = id && stsenv_handoff_matches(getenv(STSENV_HANDOFF_VAR), id, &exp);
	if (fd && *fd) {
		n = strtol(fd, &end, 10);
		d->page = !*end && n >= 0 && n < 1 << 20 && stsenv_page_open((int)n) != NULL;
		snprintf(d->page_fd, sizeof(d->page_fd), "%.8s", fd);
	}
}

static int cmd_status(struct ctx *c, bool json, int setup_rc)
{
	struct delivery d;
	const struct stsenv_snap *s = NULL;
	struct stsenv_engine_status st = {0};
	char rid[32] = "", left[32] = "", refresh[32] = "";
	struct timespec now;
	int64_t now_ms;

	if (!setup_rc) {
		s = stsenv_engine_get(c->engine);
		stsenv_engine_status(c->engine, &st);
	} else {
		snprintf(st.last_error, sizeof(st.last_error), "%s", c->err.msg);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	find_delivery(&d);
	if (s) {
		stsenv_redact_id(s->id, rid, sizeof(rid));
		if (s->exp_real_ms != STSENV_NO_EXPIRY)
			duration(s->exp_real_ms - now_ms, left, sizeof(left));
		duration(st.next_attempt_in_ms, refresh, sizeof(refresh));
	}
	if (json) {
		printf("{\n  \"source\": ");
		json_str(c->sel.chosen >= 0 ? c->sel.kinds[c->sel.chosen] : "");
		printf(",\n  \"sources\": {");
		for (int k = 0; k < STSENV_SOURCE_KINDS && c->sel.kinds[k]; k++) {
			printf("%s\n    ", k ? "," : "");
			json_str(c->sel.kinds[k]);
			fputs(": ", stdout);
			json_str(c->sel.why[k]);
		}
		printf("\n  },\n  \"credential\": %s", s ? "true" : "false");
		printf(",\n  \"access_key_id\": ");
		json_str(rid);
		printf(",\n  \"expiration\": ");
		json_str(s && s->expiration ? s->expiration : "");
		printf(",\n  \"expires_in_seconds\": %lld",
		       s && s->exp_real_ms != STSENV_NO_EXPIRY
			       ? (long long)((s->exp_real_ms - now_ms) / 1000)
			       : -1LL);
		printf(",\n  \"refresh_in_seconds\": %lld",
		       s ? (long long)(st.next_attempt_in_ms / 1000) : -1LL);
		printf(",\n  \"last_error\": ");
		json_str(st.last_error);
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
		printf("  tree page:   %s%s%s\n", d.page ? "yes (STSENV_PAGE_FD=" : "no",
		       d.page ? d.page_fd : "", d.page ? ")" : "");
		printf("  handed down: %s\n",
		       d.handed ? "yes (its ALIBABA_CLOUD_ACCESS_KEY_ID came from stsenv)" : "no");
	}
	return s ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ctx c;
	const char *source = NULL, *format = "sh", *cmd = "exec";
	bool json = false;
	int i = 1, rc;

	memset(&c, 0, sizeof(c));
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		puts("stsenv " STSENV_VERSION);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "exec") == 0 || strcmp(argv[1], "env") == 0 ||
			 strcmp(argv[1], "status") == 0))
		cmd = argv[i++];
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (strcmp(a, "--source") == 0 && i + 1 < argc)
			source = argv[++i];
		else if (strncmp(a, "--source=", 9) == 0)
			source = a + 9;
		else if (strcmp(cmd, "env") == 0 && strcmp(a, "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(cmd, "env") == 0 && strncmp(a, "--format=", 9) == 0)
			format = a + 9;
		else if (strcmp(cmd, "status") == 0 && strcmp(a, "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "stsenv: error: unknown option %s\n%s", a, usage);
			return EXIT_OWN;
		}
	}
	if (strcmp(cmd, "env") == 0 && strcmp(format, "sh") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "dotenv") != 0)
		return fail("unknown format \"%s\"%s (use sh, json or dotenv)", format, "");
	if (strcmp(cmd, "exec") == 0 && i >= argc) {
		fprintf(stderr, "stsenv: error: no command given\n%s", usage);
		return EXIT_OWN;
	}
	if (strcmp(cmd, "exec") != 0 && i < argc)
		return fail("unexpected argument \"%s\"%s", argv[i], "");
	rc = setup(&c, source);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&c, json, rc);
	if (rc) {
		if (c.err.msg[0])
			fprintf(stderr, "stsenv: error: %s\n", c.err.msg);
		return EXIT_OWN;
	}
	if (strcmp(cmd, "env") == 0)
		return cmd_env(&c, format);
	return cmd_exec(&c, argv + i);
}
