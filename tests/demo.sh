#!/bin/sh
# make demo: a loopback emulator of the DSW credentials service hands out
# credentials that live 12 seconds.  The same unmodified programs, a C one
# and a Python one, first without stsenv (they read nothing), then under
# `stsenv --`, print what they read from their environment every second
# and see it rotate.  Nothing leaves this machine.
. "$(dirname "$0")/lib.sh"

start_server demo --ttl 12 --rotate-within 6
export ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:$PORT/credentials"
export STSENV_REFRESH_MARGIN=6 STSENV_LOG=info
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN STSENV_HANDOFF
# The Python program: os.environ, read once a second, redacted as stsenv's
# log redacts ids (the first five characters, ****, the last one).
PY='import os, sys, time
for i in range(int(sys.argv[1])):
    k = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    shown = k[:5] + "****" + k[-1] if k else "(unset)"
    print(time.strftime("%H:%M:%S", time.gmtime()), " python: os.environ[ALIBABA_CLOUD_ACCESS_KEY_ID] =", shown, flush=True)
    time.sleep(1)'
cat <<TXT
== stsenv demo
A fake DSW credentials service listens on 127.0.0.1:$PORT; each credential it
hands out lives 12 s, and stsenv refreshes 6 s before expiry (a real one lives
about an hour, refreshed 15 min before).  No AccessKey is configured anywhere.
Ids are redacted the same way in the programs' output and in stsenv's log.

-- Before: a plain C program that calls getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
   once a second, and knows nothing about stsenv, run as it is:

\$ showcred 2
TXT
"$BUILD/progs/showcred" 2
cat <<TXT

-- What stsenv finds:

\$ stsenv status
TXT
"$BUILD/stsenv" status 2>/dev/null
cat <<TXT

-- The same C program under stsenv, across rotations (one log line each):

\$ stsenv -- showcred 14
TXT
"$BUILD/stsenv" -- "$BUILD/progs/showcred" 14
rc1=$?
cat <<TXT

-- A Python program reading os.environ, which CPython copies at start: under
   stsenv it stays live too:

\$ stsenv -- python3 -c '...os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"]...' 14
TXT
"$BUILD/stsenv" -- python3 -c "$PY" 14
rc2=$?
gens=$(stat_of generations_served)
reqs=$(stat_of requests)
cat <<TXT

Both programs saw the credential rotate; the service handed out $gens credentials
in $reqs requests (one of them for \`stsenv status\`).

What to try next:
  $BUILD/stsenv --help                   the options, the sources, the exit codes
  $BUILD/stsenv -- bash                  a shell whose every program gets fresh credentials
  LD_PRELOAD=$BUILD/libstsenv.so CMD     where the command line cannot change (a notebook kernel)
  make install; man stsenv; man 7 stsenv
TXT
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$gens" -ge 4 ]
