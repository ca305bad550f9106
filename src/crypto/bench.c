/* SPDX-License-Identifier: Apache-2.0 */
/* `make bench` for HPKE: seal/open throughput of a 1 MiB message against
 * plain OpenSSL AES-GCM with the same key size, and sender/recipient setups
 * per second, single thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto/hpke.h"

#define MSG (1 << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "hpke-bench: %s failed\n", what);
	exit(1);
}

/* Plain EVP AES-GCM over the same buffer, as the baseline. */
static double plain_gcm(const char *cipher, uint8_t *buf, int reps)
{
	static const uint8_t key[32], iv[12];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
	uint8_t tag[16];
	int n;
	double t0 = now();

	for (int i = 0; i < reps; i++)
		if (!EVP_EncryptInit_ex2(x, c, key, iv, NULL) ||
		    !EVP_EncryptUpdate(x, buf, &n, buf, MSG) || !EVP_EncryptFinal_ex(x, tag, &n) ||
		    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag))
			die("plain AES-GCM");
	double dt = now() - t0;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return reps * (MSG / 1e6) / dt;
}

static void throughput(hpke_suite s, const char *name, const char *plain, int reps)
{
	hpke_key *skR = NULL, *pkR = NULL;
	hpke_ctx *snd = hpke_ctx_new(s), *rcv = hpke_ctx_new(s);
	uint8_t enc[HPKE_MAX_ENC_LEN], *buf = calloc(1, MSG + HPKE_TAG_LEN);
	size_t enc_len, n, m, pl;
	double ts = 0, to = 0;

	if (!snd || !rcv || !buf || hpke_key_generate(s.kem, &skR))
		die("setup");
	const uint8_t *pub = hpke_key_public(skR, &pl);
	if (hpke_key_from_public(s.kem, pub, pl, &pkR) ||
	    hpke_setup_sender(snd, pkR, NULL, enc, sizeof(enc), &enc_len) ||
	    hpke_setup_recipient(rcv, skR, NULL, enc, enc_len))
		die("setup");
	for (int i = 0; i < reps; i++) { /* in place: seal, then open back */
		double t0 = now();
		if (hpke_seal(snd, NULL, 0, buf, MSG, buf, MSG + HPKE_TAG_LEN, &n))
			die("seal");
		double t1 = now();
		if (hpke_open(rcv, NULL, 0, buf, n, buf, MSG, &m))
			die("open");
		to += now() - t1;
		ts += t1 - t0;
	}
	double mb = reps * (MSG / 1e6), base = plain_gcm(plain, buf, reps);
	printf("%-40s %8.0f %8.0f %8.0f %6.2f\n", name, mb / ts, mb / to, base, mb / ts / base);
	hpke_ctx_free(snd);
	hpke_ctx_free(rcv);
	hpke_key_free(skR);
	hpke_key_free(pkR);
	free(buf);
}

static void setups(uint16_t kem, const char *name, double secs)
{
	hpke_suite s = {kem, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_128_GCM};
	hpke_key *skR = NULL, *pkR = NULL;
	uint8_t enc[HPKE_MAX_ENC_LEN];
	size_t enc_len = 0, pl;
	long ns = 0, nr = 0;

	if (hpke_key_generate(kem, &skR))
		die("keygen");
	const uint8_t *pub = hpke_key_public(skR, &pl);
	if (hpke_key_from_public(kem, pub, pl, &pkR))
		die("key");
	double t0 = now(), t1;
	for (; (t1 = now()) - t0 < secs; ns++) {
		hpke_ctx *c = hpke_ctx_new(s);
		if (!c || hpke_setup_sender(c, pkR, NULL, enc, sizeof(enc), &enc_len))
			die("setup_sender");
		hpke_ctx_free(c);
	}
	double t2 = now(), t3;
	for (; (t3 = now()) - t2 < secs; nr++) {
		hpke_ctx *c = hpke_ctx_new(s);
		if (!c || hpke_setup_recipient(c, skR, NULL, enc, enc_len))
			die("setup_recipient");
		hpke_ctx_free(c);
	}
	printf("%-40s %8.0f %8.0f\n", name, ns / (t1 - t0), nr / (t3 - t2));
	hpke_key_free(skR);
	hpke_key_free(pkR);
}

int main(void)
{
	printf("HPKE seal/open of a 1 MiB message (MB/s, mean of 200; plain = "
	       "one-shot EVP AES-GCM, same key size)\n");
	printf("%-40s %8s %8s %8s %6s\n", "suite", "seal", "open", "plain", "ratio");
	throughput(
	    (hpke_suite){HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_128_GCM},
	    "X25519/HKDF-SHA256/AES-128-GCM", "AES-128-GCM", 200);
	throughput(
	    (hpke_suite){HPKE_KEM_X25519_SHA256, HPKE_KDF_HKDF_SHA256, HPKE_AEAD_AES_256_GCM},
	    "X25519/HKDF-SHA256/AES-256-GCM", "AES-256-GCM", 200);
	printf("\nHPKE setups per second (base mode, context new+setup+free, 1 s each)\n");
	printf("%-40s %8s %8s\n", "KEM", "sender", "recip.");
	setups(HPKE_KEM_X25519_SHA256, "DHKEM(X25519, HKDF-SHA256)", 1.0);
	setups(HPKE_KEM_P256_SHA256, "DHKEM(P-256, HKDF-SHA256)", 1.0);
	return 0;
}
