// SPDX-License-Identifier: Apache-2.0
// ML-KEM-768 in Node.js (OpenSSL 3.5's implementation) for `make bench`:
// keygen, encaps and decaps per second, the same work as pq-bench's C side.
// Prints one JSON object: {"openssl": version, "keygen": ops/s, ...}.
'use strict';
const crypto = require('crypto');
const seconds = Number(process.argv[2] || 1);

function rate(fn) {
	for (let i = 0; i < 50; i++) fn(); // warm up
	let n = 0;
	const t0 = process.hrtime.bigint();
	let dt = 0;
	while (dt < seconds) {
		for (let i = 0; i < 50; i++) fn();
		n += 50;
		dt = Number(process.hrtime.bigint() - t0) / 1e9;
	}
	return n / dt;
}

const {publicKey, privateKey} = crypto.generateKeyPairSync('ml-kem-768');
const {ciphertext} = crypto.encapsulate(publicKey);
console.log(JSON.stringify({
	openssl: process.versions.openssl,
	keygen: rate(() => crypto.generateKeyPairSync('ml-kem-768')),
	encaps: rate(() => crypto.encapsulate(publicKey)),
	decaps: rate(() => crypto.decapsulate(privateKey, ciphertext)),
}));
