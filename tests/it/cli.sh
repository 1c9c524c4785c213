# tests/it/cli.sh, sourced by tests/run.sh. The command line as people
# use it: help for every subcommand, one-line usage errors, global options
# before a subcommand, the default command, -v/-q, env's choices and
# status's report; run on build/stsenv and on a `make install`ed copy.

installed_root() { # installs once into $TMP/root; prints the bin directory
	if [ ! -x "$TMP/root/usr/local/bin/stsenv" ]; then
		make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$TMP/root" install >"$TMP/install.log" 2>&1 ||
			{ cat "$TMP/install.log" >&2; return 1; }
	fi
	echo "$TMP/root/usr/local/bin"
}

# cli_expect RC PATTERN CMD...: CMD exits RC and its stdout+stderr match
# PATTERN (grep -E); the output is in $TMP/cli.out.
cli_expect() {
	want=$1 pat=$2
	shift 2
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn "$@" >"$TMP/cli.out" 2>&1
	got=$?
	if [ "$got" != "$want" ] || ! grep -qE -- "$pat" "$TMP/cli.out"; then
		say "$* -> rc $got (want $want), output: $(head -5 "$TMP/cli.out")"
		return 1
	fi
}

cli_usage() { # help and usage errors
	S=$1
	ok=0
	for sub in "" exec env status; do
		# shellcheck disable=SC2086
		cli_expect 0 "^usage: stsenv" "$S" $sub --help || ok=1
	done
	cli_expect 0 "oidc .*ALIBABA_CLOUD_ROLE_ARN" "$S" --help || ok=1
	grep -q "profile" "$TMP/cli.out" && grep -q "ecs " "$TMP/cli.out" && grep -q "stsenv(7)" "$TMP/cli.out" || ok=1
	cli_expect 0 "--on-rotate" "$S" exec --help || ok=1
	cli_expect 0 "--names" "$S" env --help || ok=1
	# A usage error: one line, status 125, a pointer to --help; never the help.
	for args in "--source" "env --format" "status --format" "--bogus" "env --bogus" "status --format xml" "env --names nope"; do
		# shellcheck disable=SC2086
		cli_expect 125 "^stsenv: error: .*; try 'stsenv( env)? --help'$" "$S" $args || ok=1
		[ "$(wc -l <"$TMP/cli.out")" = 1 ] || { say "$args: $(wc -l <"$TMP/cli.out") lines"; ok=1; }
	done
	cli_expect 125 "option --source needs a value" "$S" --source || ok=1
	cli_expect 0 "^stsenv [0-9]" "$S" --version || ok=1
	return $ok
}

cli_subcommands() { # global options before a subcommand; -- for a program called env
	S=$1
	ok=0
	cli_expect 0 "^export ALIBABA_CLOUD_ACCESS_KEY_ID='STS\.g" "$S" --source uri env || ok=1
	! grep -q "^PATH=\|^export PATH=" "$TMP/cli.out" || { say "--source uri env ran env(1)"; ok=1; }
	cli_expect 0 "^PATH=" "$S" --source uri -- env || ok=1
	cli_expect 0 "^PATH=" "$S" --on-rotate=HUP env || ok=1 # after exec's option: a command
	grep -q "^ALIBABA_CLOUD_ACCESS_KEY_ID=STS\.g" "$TMP/cli.out" || ok=1
	cli_expect 0 '"source": "uri"' "$S" -q status --format json || ok=1
	cli_expect 0 '"source": "uri"' "$S" status --json || ok=1
	# No command: the user's shell (or /bin/sh), as aws-vault does.
	printf '#!/bin/sh\necho "shell got ${ALIBABA_CLOUD_ACCESS_KEY_ID%%%%.*}"\n' >"$TMP/myshell"
	chmod +x "$TMP/myshell"
	cli_expect 0 "^shell got STS$" env SHELL="$TMP/myshell" "$S" || ok=1
	cli_expect 0 "^shell got STS$" env SHELL="$TMP/myshell" "$S" exec || ok=1
	# -v: info for the whole tree; -q: errors only; -qq: nothing.
	cli_expect 0 "stsenv: info: new credential" "$S" -v -- true || ok=1
	cli_expect 0 "stsenv: debug:" "$S" -vv -- true || ok=1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_TIMEOUT_MS=abc "$S" -q -- sh -c 'true' >"$TMP/cli.q" 2>&1
	[ ! -s "$TMP/cli.q" ] || { say "-q said: $(cat "$TMP/cli.q")"; ok=1; }
	return $ok
}

cli_env_choices() { # env: --names, the marker where a child needs it, static keys
	S=$1
	ok=0
	cli_expect 0 "OSS_ACCESS_KEY_ID" "$S" env --names oss || ok=1
	! grep -q "ALIBABA_CLOUD_\|ALICLOUD_" "$TMP/cli.out" && grep -q "STSENV_HANDOFF" "$TMP/cli.out" || ok=1
	cli_expect 0 '"ALIBABA_CLOUD_ACCESS_KEY_ID"' "$S" env --format json || ok=1
	! grep -q STSENV_HANDOFF "$TMP/cli.out" || { say "json carries the marker"; ok=1; }
	cli_expect 0 '"STSENV_HANDOFF"' "$S" env --format json --marker || ok=1
	cli_expect 0 "^OSS_ACCESS_KEY_ID=" "$S" env --format dotenv || ok=1
	! grep -q STSENV_HANDOFF "$TMP/cli.out" || { say "dotenv carries the marker"; ok=1; }
	# A shell holding a static key: not printed for that family, and said.
	cli_expect 0 "ALIBABA_CLOUD_ACCESS_KEY_ID is set to a static key \(LTAIs\*\*\*\*4\)" \
		env ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIstatickey1234 "$S" env || ok=1
	! grep -q "^export ALIBABA_CLOUD_ACCESS_KEY_ID" "$TMP/cli.out" && grep -q "^export OSS_ACCESS_KEY_ID" "$TMP/cli.out" || ok=1
	cli_expect 0 "^static key: +ALIBABA_CLOUD_ACCESS_KEY_ID" \
		env ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIstatickey1234 "$S" status || ok=1
	! grep -q "LTAIstatickey1234" "$TMP/cli.out" || { say "status printed the static key"; ok=1; }
	return $ok
}

cli_status_report() { # status: failing, shadowed, not under stsenv, days, json
	S=$1
	ok=0
	cli_expect 0 "^  ecs +configured, but uri comes first in the chain$" \
		env ALIBABA_CLOUD_ECS_METADATA=some-role "$S" status || ok=1
	grep -q "^this process: not under stsenv" "$TMP/cli.out" || ok=1
	grep -Eq "^expiration: .*\(in 1d0[0-9]h\)$" "$TMP/cli.out" || { say "no day in: $(grep expiration "$TMP/cli.out")"; ok=1; }
	cli_expect 0 '"ecs": \{"state": "shadowed"' env ALIBABA_CLOUD_ECS_METADATA=some-role "$S" status --format json || ok=1
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['version'] and d['sources']['uri']['state']=='in_use' and d['sources']['file']['state']=='not_configured' and d['last_error'] is None and d['delivery']['under_stsenv'] is False, d" "$TMP/cli.out" || ok=1
	set_mode 403
	cli_expect 1 "^  uri +configured, failing: .*HTTP status 403 \(Forbidden: boom\)$" "$S" status || ok=1
	grep -q "^source: *uri (failing)$" "$TMP/cli.out" || ok=1
	cli_expect 1 '"state": "failing"' "$S" status --format json || ok=1
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['expiration'] is None and d['expires_in_seconds'] is None and d['access_key_id'] is None and 'Forbidden' in d['last_error'], d" "$TMP/cli.out" || ok=1
	# env fails as status does: 1 without a credential.
	cli_expect 1 "HTTP status 403" "$S" env || ok=1
	set_mode ok
	cli_expect 125 "STSENV_SOURCE=\"bogus\"" env STSENV_SOURCE=bogus "$S" env || ok=1
	return $ok
}

t_cli() { # t_cli build|installed
	start_server cli --ttl 97200 # a day and three hours, for the "1d03h"
	S="$BUILD/stsenv"
	if [ "$1" = installed ]; then
		bin=$(installed_root) || return 1
		S="$bin/stsenv"
	fi
	ok=0
	for part in cli_usage cli_subcommands cli_env_choices cli_status_report; do
		$part "$S" || { say "$part failed"; ok=1; }
	done
	kill "$cli_pid"
	return $ok
}

# make install puts everything where the README says, make uninstall takes
# it all away; the man pages render without a warning; the completions load.
t_install_layout() {
	bin=$(installed_root) || return 1
	r="$TMP/root/usr/local"
	ok=0
	for f in bin/stsenv lib/stsenv/libstsenv.so lib/stsenv/stsenv-keeper lib/stsenv/python/sitecustomize.py \
		share/man/man1/stsenv.1 share/man/man7/stsenv.7 share/doc/stsenv/README.md \
		share/bash-completion/completions/stsenv share/zsh/site-functions/_stsenv; do
		[ -e "$r/$f" ] || { say "missing: $f"; ok=1; }
	done
	if command -v groff >/dev/null; then
		for m in man1/stsenv.1 man7/stsenv.7; do
			w=$(groff -man -ww -z "$r/share/man/$m" 2>&1 | grep -v "cannot adjust line")
			[ -z "$w" ] || { say "$m: $w"; ok=1; }
		done
		LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$r/share/man/man7/stsenv.7" 2>/dev/null >"$TMP/man7.txt"
		# Every variable stsenv reads is in stsenv(7).
		for v in $(grep -oh 'get("STSENV_[A-Z_]*")\|"STSENV_[A-Z_]*"' "$ROOT"/core/config.c | grep -o 'STSENV_[A-Z_]*' | sort -u); do
			grep -q "$v" "$TMP/man7.txt" || { say "stsenv(7) lacks $v"; ok=1; }
		done
	else
		say "groff missing: man pages not rendered"
	fi
	out=$(bash -c '. "$1"; COMP_WORDS=(stsenv --source ""); COMP_CWORD=2; _stsenv; echo "${COMPREPLY[*]}"' sh \
		"$r/share/bash-completion/completions/stsenv")
	[ "$out" = "auto uri file oidc profile ecs" ] || { say "bash completion: '$out'"; ok=1; }
	make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$TMP/root" uninstall >/dev/null 2>&1
	left=$(find "$TMP/root" -type f -o -type l)
	[ -z "$left" ] || { say "left after uninstall: $left"; ok=1; }
	return $ok
}

# The README's two `stsenv status` samples are what the tool prints, but
# for numbers (ports, times) and the id's last character.
t_readme_status_samples() {
	[ -e /mnt/.alibabacloud/credentials ] && { say "this machine has /mnt/.alibabacloud/credentials"; return 77; }
	start_server sample --ttl 600
	mkdir -p "$TMP/emptyhome"
	norm() { sed -E 's/[0-9]+/N/g; s/\*\*\*\*./****X/'; }
	awk '/^\$ stsenv status$/ {on=1; n++; next} /^```$/ {on=0} on {print > (dir "/sample" n ".txt")}' \
		dir="$TMP" "$ROOT/README.md"
	ok=0
	for n in 1 2; do
		[ $n = 2 ] && set_mode 500
		env -i PATH="$PATH" HOME="$TMP/emptyhome" \
			ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:$PORT/credentials" \
			"$BUILD/stsenv" status 2>/dev/null | norm >"$TMP/got$n.txt"
		norm <"$TMP/sample$n.txt" >"$TMP/want$n.txt"
		diff "$TMP/want$n.txt" "$TMP/got$n.txt" >&2 || ok=1
	done
	kill "$sample_pid"
	return $ok
}

# make deb: lintian-clean (apart from packaging/lintian-overrides), and the
# installed package works: the launcher, plain LD_PRELOAD from the
# multiarch directory, Python's bootstrap, the man pages; dpkg -r removes it.
t_deb() {
	command -v dpkg-deb >/dev/null || { say "dpkg-deb missing"; return 77; }
	[ "$(id -u)" = 0 ] || { say "dpkg -i needs root"; return 77; }
	deb=$(make -s -C "$ROOT" BUILD="$BUILD" deb 2>"$TMP/deb.err") || { cat "$TMP/deb.err" >&2; return 1; }
	ok=0
	if command -v lintian >/dev/null; then
		lintian --pedantic --fail-on error,warning,info,pedantic "$deb" >"$TMP/lintian.out" 2>&1 ||
			{ cat "$TMP/lintian.out" >&2; ok=1; }
	else
		say "lintian missing"
		ok=1
	fi
	dpkg -i "$deb" >"$TMP/dpkg.out" 2>&1 || { cat "$TMP/dpkg.out" >&2; return 1; }
	start_server deb --ttl 600
	ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
	got=$(clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_REFRESH_MARGIN=60 /usr/bin/stsenv -- sh -c \
		'printenv OSS_ACCESS_KEY_ID; python3 -c "import os; print(os.environ[\"ALIBABA_CLOUD_ACCESS_KEY_ID\"])"' \
		2>>"$TMP/deb.log")
	pre=$(clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" LD_PRELOAD="/usr/lib/$ma/stsenv/libstsenv.so" \
		sh -c 'printenv ALIBABA_CLOUD_SECURITY_TOKEN' 2>>"$TMP/deb.log")
	kill "$deb_pid"
	say "launcher: $(echo "$got" | tr '\n' ' ')/ preload: ${pre%%-*}"
	[ "$(echo "$got" | grep -c '^STS\.g')" = 2 ] || ok=1
	case "$pre" in faketoken-g*) ;; *) ok=1 ;; esac
	man -w stsenv >/dev/null 2>&1 && man -w 7 stsenv >/dev/null 2>&1 || { say "man pages not found"; ok=1; }
	dpkg -r stsenv >/dev/null 2>&1 || ok=1
	[ ! -e /usr/bin/stsenv ] && [ ! -e "/usr/lib/$ma/stsenv" ] || { say "dpkg -r left files"; ok=1; }
	note "deb: $(basename "$deb"), $(stat -c %s "$deb") bytes, lintian --pedantic: $(grep -vc 'root privileges' "$TMP/lintian.out" || true) tags"
	return $ok
}

# On a terminal, status against a slow source says what it waits for
# instead of five silent seconds; not when its output goes to a program.
t_status_waits_on_terminal() {
	command -v script >/dev/null || { say "script(1) missing"; return 77; }
	start_server slow --ttl 600
	set_mode slow:2500
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn \
		script -qec "$BUILD/stsenv status" /dev/null >"$TMP/tty.out" 2>&1
	clean_env ALIBABA_CLOUD_CREDENTIALS_URI="$URI" STSENV_LOG=warn "$BUILD/stsenv" status >"$TMP/notty.out" 2>&1
	kill "$slow_pid"
	say "terminal: $(grep waiting "$TMP/tty.out")"
	grep -q "^stsenv: waiting for uri http://127.0.0.1:[0-9]*/credentials (at most 5 s)" "$TMP/tty.out" &&
		grep -q "^credential: *STS" "$TMP/tty.out" && ! grep -q waiting "$TMP/notty.out"
}

# deploy/: the pod YAML parses, and every stsenv path it names is in the
# package (under the image's /opt/stsenv).
t_deploy_recipes() {
	py=python3 # Debian's python3-yaml, if the python3 first on PATH lacks yaml
	$py -c "import yaml" 2>/dev/null || py=/usr/bin/python3
	$py -c "import yaml" 2>/dev/null || { say "python3-yaml missing"; return 77; }
	deb=$(ls "$BUILD"/stsenv_*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || deb=$(make -s -C "$ROOT" BUILD="$BUILD" deb) || return 1
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/opt/stsenv/|' >"$TMP/deb-files.txt"
	ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
	$py - "$ROOT/deploy/ack-pod.yaml" "$TMP/deb-files.txt" "$ma" <<'PY'
import os, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
files = set(l.strip().rstrip("/") for l in open(sys.argv[2]))
found = []
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str) and v.startswith("/opt/stsenv/"):
        found.append(os.path.normpath(v.replace("x86_64-linux-gnu", sys.argv[3])))
assert doc["kind"] == "Pod", doc["kind"]
walk(doc["spec"])
missing = [p for p in found if p.rstrip("/") not in files]
print("paths named: %d, missing from the package: %s" % (len(found), missing), file=sys.stderr)
assert len(found) >= 2 and not missing
PY
}
