// Item 7 of the benchmarks: the work of a job done through the SDK instead
// of stsenv.  Each process builds `new Credential()` (@alicloud/credentials,
// its default chain, which ends at ALIBABA_CLOUD_CREDENTIALS_URI) and asks
// it for the credential, as a program signing requests would.
//   node node_work.js once                       one call, then exit
//   node node_work.js worker SECONDS INTERVAL_MS one call every INTERVAL_MS
// Prints nothing on success but the worker's count; exit 1 on a failure.
'use strict';
const Credential = require('@alicloud/credentials').default;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(cred) {
  const c = await cred.getCredential();
  if (!c.accessKeyId || !c.securityToken) throw new Error('no STS credential from the SDK');
}

async function main() {
  const cred = new Credential();
  if (process.argv[2] === 'once') return call(cred);
  const end = Date.now() + Number(process.argv[3]) * 1000;
  const interval = Number(process.argv[4]);
  let calls = 0;
  while (Date.now() < end) {
    await call(cred);
    calls++;
    await sleep(interval);
  }
  console.log(`calls=${calls}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
