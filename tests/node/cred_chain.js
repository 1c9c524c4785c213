'use strict';
// Integration probe: does a real Alibaba Cloud client, @alicloud/credentials
// (2.4.x) with its DEFAULT credential chain (`new Credential()`, no config),
// pick up STS credentials that only "exist" through getenv()?
//
// Node reads `process.env.X` through libc getenv() on every access, so an
// LD_PRELOAD library interposing getenv() is what this script observes.
//
// Usage (from the repo root, after tests/node/install.sh):
//   env HOME="$(mktemp -d)" \
//       NODE_PATH=build/node/node_modules \
//       ALIBABA_CLOUD_ECS_METADATA_DISABLED=true \
//       ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true \
//       ALIBABA_CLOUD_CREDENTIALS_URI=http://127.0.0.1:9/ \
//       SECONDS=10 \
//       [LD_PRELOAD=...] node tests/node/cred_chain.js
//
// Output (stdout), one line per sample every 500 ms for SECONDS seconds:
//   sample <accessKeyId> <securityToken-length> <type> provider=<name> env_id=<id>
// The first four fields are the contract; the trailing key=value fields are
// diagnostics (provider that answered; ALIBABA_CLOUD_ACCESS_KEY_ID as read
// directly from process.env right after the SDK call -- it can differ from
// the SDK's value when a rotation falls between the two reads).
// At the end: `distinct_ids N` (distinct accessKeyIds returned by the SDK).
// The secret is never printed, nor the token (only its length).
// Exit 0 on success, 1 on any failure (message on stderr).
//
// What the SDK does (verified in @alicloud/credentials 2.4.7, src/ paths):
//  * client.ts:147 -- no config => DefaultCredentialsProvider.
//  * providers/default.ts:19-64 -- chain order: env, oidc_role_arn,
//    cli_profile (~/.aliyun/config.json), profile
//    (~/.alibabacloud/credentials or $ALIBABA_CLOUD_CREDENTIALS_FILE),
//    ecs_ram_role (HTTP to 100.100.100.200), credential_uri. A provider whose
//    builder throws is left out: OIDC without ALIBABA_CLOUD_ROLE_ARN/
//    _OIDC_PROVIDER_ARN/_OIDC_TOKEN_FILE, CLI profile with
//    ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true, ECS with
//    ALIBABA_CLOUD_ECS_METADATA_DISABLED=true. The profile and URI providers
//    can NOT be switched off.
//  * providers/env.ts:10,15,20 -- reads ALIBABA_CLOUD_ACCESS_KEY_ID, then
//    _ACCESS_KEY_SECRET, then _SECURITY_TOKEN from process.env on EVERY
//    getCredentials() call; nothing is cached.
//  * providers/default.ts:70-77,82 -- the chain remembers the provider it
//    last tried (lastUsedProvider) and afterwards only calls that one. When
//    env answered the first call, every later call re-reads process.env, so
//    ONE Credential instance sees each rotation: no fresh `new Credential()`
//    per sample is needed. But if the first call fails in every provider,
//    the instance is stuck on the LAST provider (credential_uri) for good.
//    With ALIBABA_CLOUD_CREDENTIALS_URI unset, that provider requests
//    https://undefined/ and so sends a DNS query to the system resolver. This
//    is why the guard below insists on a loopback URI.
//
// Guard: before touching the SDK, refuse to run unless every provider after
// `env` can only fail locally (no connection except to loopback).

const fs = require('fs');
const os = require('os');
const path = require('path');

function fail(msg) {
  process.stderr.write(`cred_chain: FAIL: ${msg}\n`);
  process.exit(1);
}

function isTrue(v) {
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

function checkLoopbackSafe() {
  const problems = [];
  const e = process.env;
  if (!isTrue(e.ALIBABA_CLOUD_ECS_METADATA_DISABLED)) {
    problems.push('ALIBABA_CLOUD_ECS_METADATA_DISABLED=true is required (else the ECS provider may contact 100.100.100.200)');
  }
  const uri = e.ALIBABA_CLOUD_CREDENTIALS_URI;
  let host = null;
  try { host = uri ? new URL(uri).hostname : null; } catch (_) { host = null; }
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
    problems.push('ALIBABA_CLOUD_CREDENTIALS_URI must be a loopback URL such as http://127.0.0.1:9/ (if unset, the chain falls back to https://undefined/ and does a DNS lookup)');
  }
  for (const n of ['ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE']) {
    if (e[n]) problems.push(`${n} must be unset (the OIDC provider would call STS)`);
  }
  const home = os.homedir();
  if (!isTrue(e.ALIBABA_CLOUD_CLI_PROFILE_DISABLED)) {
    const cli = path.join(home, '.aliyun', 'config.json');
    if (fs.existsSync(cli)) problems.push(`${cli} exists: set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true or HOME to an empty dir`);
  }
  const prof = e.ALIBABA_CLOUD_CREDENTIALS_FILE || path.join(home, '.alibabacloud', 'credentials');
  if (fs.existsSync(prof)) problems.push(`${prof} exists: point HOME at an empty dir and leave ALIBABA_CLOUD_CREDENTIALS_FILE unset`);
  if (problems.length) {
    fail('environment is not loopback-safe:\n  - ' + problems.join('\n  - '));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const seconds = process.env.SECONDS === undefined || process.env.SECONDS === '' ? 10 : Number(process.env.SECONDS);
  if (!Number.isFinite(seconds) || seconds <= 0) fail(`SECONDS must be a positive number, got '${process.env.SECONDS}'`);
  const intervalMs = 500;
  const samples = Math.max(1, Math.round((seconds * 1000) / intervalMs));

  checkLoopbackSafe();

  let Credential;
  let version = '?';
  try {
    // Resolved through NODE_PATH (e.g. build/node/node_modules).
    Credential = require('@alicloud/credentials').default;
    try { version = require('@alicloud/credentials/package.json').version; } catch (_) { /* exports map may hide it */ }
  } catch (err) {
    fail(`cannot load @alicloud/credentials (NODE_PATH=${process.env.NODE_PATH || ''}): ${err.message}\n  run tests/node/install.sh and set NODE_PATH=build/node/node_modules`);
  }
  if (typeof Credential !== 'function') fail('@alicloud/credentials has no default export Credential');
  process.stderr.write(`cred_chain: @alicloud/credentials ${version}, ${samples} samples every ${intervalMs} ms\n`);

  // Default chain, no config. One instance for the whole run: once the env
  // provider has answered, each getCredential() re-reads process.env (see
  // header), so rotation is visible without re-creating the client.
  const cred = new Credential();

  const ids = new Set();
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(intervalMs);
    let c;
    try {
      c = await cred.getCredential();
    } catch (err) {
      fail(`getCredential() threw at sample ${i + 1}/${samples}: ${err && err.message ? err.message : err}`);
    }
    const envId = process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    if (!c || !c.accessKeyId) fail(`getCredential() returned no accessKeyId at sample ${i + 1}`);
    if (c.providerName !== 'default/env') {
      fail(`credential came from provider '${c.providerName}', not from the environment (expected 'default/env')`);
    }
    const tokLen = c.securityToken ? String(c.securityToken).length : 0;
    ids.add(c.accessKeyId);
    process.stdout.write(`sample ${c.accessKeyId} ${tokLen} ${c.type} provider=${c.providerName} env_id=${envId === undefined ? '-' : envId}\n`);
  }
  process.stdout.write(`distinct_ids ${ids.size}\n`);
}

main().then(() => process.exit(0), (err) => fail(`unexpected error: ${err && err.stack ? err.stack : err}`));
