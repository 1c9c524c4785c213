// Item 8 of the benchmarks: the cached read a Node program makes.
// `await credential.getCredential()` of @alicloud/credentials (its own
// cache, fed by the credentials URI) against `process.env.X` served by
// stsenv through getenv, in one Node process.  Prints ns per read.
'use strict';
const Credential = require('@alicloud/credentials').default;

async function main() {
  const uri = process.env.BENCH_URI;
  const cred = new Credential({ type: 'credentials_uri', credentialsURI: uri });
  await cred.getCredential(); // warm its cache
  const n = Number(process.env.N || 200000);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await cred.getCredential();
  const sdk = Number(process.hrtime.bigint() - t0) / n;
  let sink = 0;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += process.env.ALIBABA_CLOUD_ACCESS_KEY_ID.length;
  const env = Number(process.hrtime.bigint() - t0) / n;
  if (!sink) throw new Error('no credential in process.env');
  console.log(`sdk_ns=${sdk.toFixed(0)} env_ns=${env.toFixed(0)} ratio=${(sdk / env).toFixed(1)}`);
}
main().catch((e) => { console.error(e.message); process.exit(1); });
