// SPDX-License-Identifier: Apache-2.0
// HPKE interop with an independent implementation (@hpke/core from npm):
// for each suite and mode, @hpke/core seals and our hpke_tool opens, then
// hpke_tool seals and @hpke/core opens; exports are compared both ways.
// Keys come from DeriveKeyPair on both sides, which is checked too.
// Usage: node hpke_interop.mjs NPM_DIR HPKE_TOOL. Prints TAP.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [npmDir, tool] = process.argv.slice(2);
const req = createRequire(join(npmDir, "index.js"));
const core = await import(pathToFileURL(req.resolve("@hpke/core")).href);
const chacha = await import(pathToFileURL(req.resolve("@hpke/chacha20poly1305")).href);

const kems = [[0x20, core.DhkemX25519HkdfSha256], [0x10, core.DhkemP256HkdfSha256],
              [0x11, core.DhkemP384HkdfSha384], [0x12, core.DhkemP521HkdfSha512]];
const kdfs = [[1, core.HkdfSha256], [2, core.HkdfSha384], [3, core.HkdfSha512]];
const aeads = [[1, core.Aes128Gcm], [2, core.Aes256Gcm], [3, chacha.Chacha20Poly1305]];
const hex = (b) => (b.byteLength ? Buffer.from(b).toString("hex") : "-");
const buf = (h) => (h === "-" ? new Uint8Array(0) : new Uint8Array(Buffer.from(h, "hex")));
const ab = (u) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength);
let n = 0, failed = 0;
const ok = (cond, name, diag) => {
  n++;
  if (cond) { console.log(`ok ${n} - ${name}`); return; }
  failed++;
  console.log(`not ok ${n} - ${name}`);
  if (diag) console.log(`#   ${diag}`);
};

async function one(kem, kdf, aead, mode) {
  const suite = new core.CipherSuite({ kem: new kem[1](), kdf: new kdf[1](), aead: new aead[1]() });
  const ikmR = randomBytes(64), ikmS = randomBytes(64);
  const info = randomBytes(13), aad = randomBytes(7), pt = randomBytes(100);
  const psk = mode & 1 ? randomBytes(32) : null, pskId = mode & 1 ? randomBytes(5) : null;
  const auth = mode & 2;
  const kpR = await suite.kem.deriveKeyPair(ab(ikmR));
  const kpS = auth ? await suite.kem.deriveKeyPair(ab(ikmS)) : null;
  const name = `kem 0x${kem[0].toString(16)} kdf ${kdf[0]} aead ${aead[0]} mode ${mode}`;
  const args = (op, data) => [op, `${kem[0]}`, `${kdf[0]}`, `${aead[0]}`, `${mode}`, hex(ikmR),
    auth ? hex(ikmS) : "-", hex(info), psk ? hex(psk) : "-", pskId ? hex(pskId) : "-",
    hex(aad), data];
  const common = { info: ab(info) };
  if (psk) common.psk = { id: ab(pskId), key: ab(psk) };
  const exportCtx = ab(new TextEncoder().encode("interop"));

  // @hpke/core seals, we open.
  try {
    const s = await suite.createSenderContext({ ...common, recipientPublicKey: kpR.publicKey,
      ...(auth ? { senderKey: kpS } : {}) });
    const ct = new Uint8Array(await s.seal(ab(pt), ab(aad)));
    const exp = hex(new Uint8Array(await s.export(exportCtx, 32)));
    const sealed = new Uint8Array([...new Uint8Array(s.enc), ...ct]);
    const [got, gotExp] = execFileSync(tool, args("open", hex(sealed))).toString().trim().split(" ");
    ok(got === hex(pt) && gotExp === exp, `${name}: @hpke/core seals, hpke opens`,
       `pt ${got === hex(pt)}, export ${gotExp === exp}`);
  } catch (e) {
    ok(false, `${name}: @hpke/core seals, hpke opens`, String(e.message).split("\n")[0]);
  }
  // We seal, @hpke/core opens.
  try {
    const [sealedHex, exp] = execFileSync(tool, args("seal", hex(pt))).toString().trim().split(" ");
    const sealed = buf(sealedHex), nenc = (await suite.kem.serializePublicKey(kpR.publicKey)).byteLength;
    const r = await suite.createRecipientContext({ ...common, recipientKey: kpR,
      enc: ab(sealed.slice(0, nenc)), ...(auth ? { senderPublicKey: kpS.publicKey } : {}) });
    const got = hex(new Uint8Array(await r.open(ab(sealed.slice(nenc)), ab(aad))));
    const gotExp = hex(new Uint8Array(await r.export(exportCtx, 32)));
    ok(got === hex(pt) && gotExp === exp, `${name}: hpke seals, @hpke/core opens`,
       `pt ${got === hex(pt)}, export ${gotExp === exp}`);
  } catch (e) {
    ok(false, `${name}: hpke seals, @hpke/core opens`, String(e.message).split("\n")[0]);
  }
}

for (const kem of kems)
  for (const kdf of kdfs)
    for (const aead of aeads)
      for (const mode of [0, 1, 2, 3])
        await one(kem, kdf, aead, mode);
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
