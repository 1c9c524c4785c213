#!/bin/sh
# make demo: a loopback emulator of the DSW credentials service hands out
# credentials that live 12 seconds; an unmodified program, started with
# `stsenv --`, prints what it reads from its environment every second and
# sees them rotate.  Nothing leaves this machine.
. "$(dirname "$0")/lib.sh"

start_server demo --ttl 12 --rotate-within 6
export ALIBABA_CLOUD_CREDENTIALS_URI="http://127.0.0.1:$PORT/credentials"
export STSENV_REFRESH_MARGIN=6 STSENV_LOG=info
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN STSENV_HANDOFF
cat <<TXT
== stsenv demo
A fake DSW credentials service listens on 127.0.0.1:$PORT; each credential it
hands out lives 12 s, and stsenv refreshes 6 s before expiry (a real one lives
about an hour, refreshed 15 min before).  The program below is a plain C
program that calls getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") once a second; it
knows nothing about stsenv.  No AccessKey is configured anywhere.

\$ stsenv status
TXT
"$BUILD/stsenv" status 2>/dev/null
echo
echo "\$ stsenv -- showcred 25"
"$BUILD/stsenv" -- "$BUILD/progs/showcred" 25
rc=$?
gens=$(stat_of generations_served)
reqs=$(stat_of requests)
echo
echo "The program saw the credential rotate; the service handed out $gens credentials in $reqs requests"
echo "(one of them for \`stsenv status\`)."
[ $rc = 0 ] && [ "$gens" -ge 3 ]
