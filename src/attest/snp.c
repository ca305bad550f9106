/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP: parse ATTESTATION_REPORT (versions 2-5; layout from the SNP
 * Firmware ABI spec, pub. 56860, table "ATTESTATION_REPORT Structure"),
 * verify its ECDSA P-384 signature with the VCEK or VLEK, the VCEK/VLEK chain
 * to the pinned ASK/ASVK and ARK (RSASSA-PSS), the ARK-signed CRL, the
 * certificate TCB extensions against REPORTED_TCB and hwID against CHIP_ID
 * (VCEK certificate spec, pub. 57230).
 */
#include <string.h>

#include "attest/attest_int.h"
#include "attest/roots.h"
#include "lib/alloc.h"

#define SNP_REPORT_SIZE 0x4a0
#define SNP_SIGNED_SIZE 0x2a0

enum { SIGNER_VCEK = 0, SIGNER_VLEK = 1 };
enum { PROD_MILAN = 0, PROD_GENOA = 1, PROD_TURIN = 2 };

int attest_snp_product_index(const char *name)
{
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(attest_pinned_amd[i].product);
		/* productName is "Milan-B0", "Genoa", "Turin", ...: match the prefix */
		if (strncmp(name, attest_pinned_amd[i].product, l) == 0 &&
		    (name[l] == 0 || name[l] == '-'))
			return i;
	}
	return -1;
}

/* TCB_VERSION layout: the SNP_TCB_* bytes (attest_int.h). */
static void decode_tcb(uint64_t raw, int product, enarx_snp_tcb *t)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(raw >> (8 * i));
	t->raw = raw;
	if (product == PROD_TURIN) {
		t->fmc = b[SNP_TCB_TURIN_FMC];
		t->bl = b[SNP_TCB_TURIN_BL];
		t->tee = b[SNP_TCB_TURIN_TEE];
		t->snp = b[SNP_TCB_TURIN_SNP];
	} else {
		t->fmc = 0;
		t->bl = b[SNP_TCB_BL];
		t->tee = b[SNP_TCB_TEE];
		t->snp = b[SNP_TCB_SNP];
	}
	t->ucode = b[SNP_TCB_UCODE];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Product from CPUID (report v3+): family 0x19 models 0x0X Milan, 0x1X and
 * 0xAX (Zen 4c Siena/Bergamo) Genoa; family 0x1A Turin. -1 if unknown. */
static int product_from_cpuid(const enarx_snp_claims *s)
{
	if (s->version < 3)
		return -1;
	if (s->cpuid_fam == 0x19) {
		if ((s->cpuid_mod & 0xf0) == 0x00)
			return PROD_MILAN;
		if ((s->cpuid_mod & 0xf0) == 0x10 || (s->cpuid_mod & 0xf0) == 0xa0)
			return PROD_GENOA;
	}
	if (s->cpuid_fam == 0x1a)
		return PROD_TURIN;
	return -1;
}

static int check_reserved(const uint8_t *p, const enarx_snp_claims *s, attest_err *e)
{
	static const struct {
		size_t off, len;
		uint32_t min_version; /* checked for versions >= this */
	} res[] = {
	    {0x04c, 4, 0},                 /* reserved after KEY_INFO */
	    {0x18b, 0x15, 0},              /* after CPUID fields */
	    {0x1eb, 1, 0},                 /* after CURRENT version */
	    {0x1ef, 1, 0},                 /* after COMMITTED version */
	    {0x208, 0x98, 0},              /* to the signature */
	    {0x2a0 + 48, 24, 0},           /* R: 72-byte field, 48 significant bytes */
	    {0x2a0 + 72 + 48, 24, 0},      /* S */
	    {0x2a0 + 144, 0x200 - 144, 0}, /* rest of the signature area */
	};
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		if (!all_zero(p + res[i].off, res[i].len))
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "SNP report: reserved bytes at 0x%zx are not zero", res[i].off);
	if (s->version < 3 && !all_zero(p + 0x188, 3))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report v2: CPUID bytes not zero");
	if (s->version < 5 && !all_zero(p + 0x1f8, 16))
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "SNP report v%u: mitigation vector bytes not zero", s->version);
	return 0;
}

int attest_snp_parse(const uint8_t *p, size_t n, enarx_snp_claims *s, uint8_t report_data[64],
                     attest_err *e)
{
	struct cursor c;
	uint64_t cur, rep, com, lau;
	uint32_t rsvd;
	int rc;

	memset(s, 0, sizeof(*s));
	if (n != SNP_REPORT_SIZE)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: %zu bytes, expected %d", n,
		            SNP_REPORT_SIZE);
	cursor_init(&c, p, n);
	if ((rc = cursor_u32le(&c, &s->version)) || (rc = cursor_u32le(&c, &s->guest_svn)) ||
	    (rc = cursor_u64le(&c, &s->policy)) || (rc = cursor_copy(&c, s->family_id, 16)) ||
	    (rc = cursor_copy(&c, s->image_id, 16)) || (rc = cursor_u32le(&c, &s->vmpl)) ||
	    (rc = cursor_u32le(&c, &s->sig_algo)) || (rc = cursor_u64le(&c, &cur)) ||
	    (rc = cursor_u64le(&c, &s->platform_info)) || (rc = cursor_u32le(&c, &s->key_info)) ||
	    (rc = cursor_u32le(&c, &rsvd)) || (rc = cursor_copy(&c, report_data, 64)) ||
	    (rc = cursor_copy(&c, s->measurement, 48)) ||
	    (rc = cursor_copy(&c, s->host_data, 32)) ||
	    (rc = cursor_copy(&c, s->id_key_digest, 48)) ||
	    (rc = cursor_copy(&c, s->author_key_digest, 48)) ||
	    (rc = cursor_copy(&c, s->report_id, 32)) ||
	    (rc = cursor_copy(&c, s->report_id_ma, 32)) || (rc = cursor_u64le(&c, &rep)) ||
	    (rc = cursor_u8(&c, &s->cpuid_fam)) || (rc = cursor_u8(&c, &s->cpuid_mod)) ||
	    (rc = cursor_u8(&c, &s->cpuid_step)) || (rc = cursor_skip(&c, 0x15)) ||
	    (rc = cursor_copy(&c, s->chip_id, 64)) || (rc = cursor_u64le(&c, &com)) ||
	    (rc = cursor_u8(&c, &s->current_build)) || (rc = cursor_u8(&c, &s->current_minor)) ||
	    (rc = cursor_u8(&c, &s->current_major)) || (rc = cursor_skip(&c, 1)) ||
	    (rc = cursor_u8(&c, &s->committed_build)) ||
	    (rc = cursor_u8(&c, &s->committed_minor)) ||
	    (rc = cursor_u8(&c, &s->committed_major)) || (rc = cursor_skip(&c, 1)) ||
	    (rc = cursor_u64le(&c, &lau)) || (rc = cursor_u64le(&c, &s->launch_mit_vector)) ||
	    (rc = cursor_u64le(&c, &s->current_mit_vector)))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: truncated at 0x%zx",
		            cursor_offset(&c));
	/* versions: 2 Milan-era, 3 adds CPUID, 4 same layout (embargoed), 5 adds mitigation vectors */
	if (s->version < 2 || s->version > 5)
		return aerr(e, ENARX_E_ATTEST_VERSION,
		            "SNP report: version %u not supported (2..5)", s->version);
	if (s->sig_algo != 1)
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "SNP report: SIGNATURE_ALGO %u, expected 1 (ECDSA P-384 SHA-384)",
		            s->sig_algo);
	unsigned signing_key = SNP_KEY_INFO_SIGNING_KEY(s->key_info);
	if (signing_key == SNP_SIGNING_KEY_NONE)
		return aerr(e, ENARX_E_ATTEST_SIGNATURE,
		            "SNP report: not signed (SIGNING_KEY=none)");
	if (signing_key > 1)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: reserved SIGNING_KEY %u",
		            signing_key);
	if (s->key_info >> SNP_KEY_INFO_RESERVED_SHIFT)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: reserved KEY_INFO bits 0x%x",
		            s->key_info);
	if (!(s->policy & SNP_POLICY_RESERVED_ONE))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: POLICY bit 17 must be 1");
	if (s->policy >> SNP_POLICY_RESERVED_SHIFT)
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "SNP report: reserved POLICY bits 26-63 set (0x%llx)",
		            (unsigned long long)s->policy);
	if (s->vmpl > 3)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: VMPL %u > 3", s->vmpl);
	if (rsvd != 0)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP report: reserved field at 0x4c set");
	if ((rc = check_reserved(p, s, e)))
		return rc;
	snprintf(s->signer, sizeof(s->signer), "%s", signing_key ? "VLEK" : "VCEK");
	int prod = product_from_cpuid(s);
	if (prod >= 0)
		snprintf(s->product, sizeof(s->product), "%s", attest_pinned_amd[prod].product);
	decode_tcb(cur, prod, &s->current_tcb);
	decode_tcb(rep, prod, &s->reported_tcb);
	decode_tcb(com, prod, &s->committed_tcb);
	decode_tcb(lau, prod, &s->launch_tcb);
	return 0;
}

/* ---- certificate extensions (VCEK spec pub. 57230, table 8) ---- */

#define AMD_OID "1.3.6.1.4.1.3704.1."

static int ext_int(X509 *x, const char *oid, int *v)
{
	const ASN1_OCTET_STRING *o = attest_ext(x, oid);
	if (!o) {
		*v = -1;
		return 0;
	}
	struct cursor c;
	uint64_t u;
	cursor_init(&c, ASN1_STRING_get0_data(o), (size_t)ASN1_STRING_length(o));
	if (der_uint(&c, &u) || !cursor_eof(&c) || u > 255)
		return ENARX_E_ATTEST_FORMAT;
	*v = (int)u;
	return 0;
}

/* productName (.1.2) is an IA5String such as "Milan-B0". */
static int ext_product(X509 *x)
{
	const ASN1_OCTET_STRING *o = attest_ext(x, AMD_OID "2");
	if (!o)
		return -1;
	struct cursor c, v;
	char name[32];
	cursor_init(&c, ASN1_STRING_get0_data(o), (size_t)ASN1_STRING_length(o));
	if (der_expect(&c, 0x16, &v) || cursor_left(&v) >= sizeof(name))
		return -1;
	memcpy(name, v.p, cursor_left(&v));
	name[cursor_left(&v)] = 0;
	return attest_snp_product_index(name);
}

/* hwID (.1.4): raw 64 (or 8 on Turin) bytes; tolerate an OCTET STRING wrapper. */
static int ext_hwid(X509 *x, uint8_t out[64], size_t *len)
{
	const ASN1_OCTET_STRING *o = attest_ext(x, AMD_OID "4");
	*len = 0;
	if (!o)
		return 0;
	const uint8_t *p = ASN1_STRING_get0_data(o);
	size_t n = (size_t)ASN1_STRING_length(o);
	if ((n == 66 && p[0] == 0x04 && p[1] == 64) || (n == 10 && p[0] == 0x04 && p[1] == 8)) {
		p += 2;
		n -= 2;
	}
	if (n != 64 && n != 8)
		return ENARX_E_ATTEST_FORMAT;
	memcpy(out, p, n);
	*len = n;
	return 0;
}

int attest_snp_check_ca(enarx_attest *a, int product, X509 *ca, const attest_bytes_list *crls,
                        time_t at, bool *crl_checked, attest_err *e)
{
	int rc;
	time_t lo = 0, hi = (time_t)INT64_MAX;
	if ((rc = attest_cert_signed_by(ca, a->ark[product], a->ark_key[product], e,
	                                "SNP ASK/ASVK")))
		return rc;
	if (!attest_cert_time_ok(ca, at) || !attest_cert_time_ok(a->ark[product], at))
		return aerr(e, ENARX_E_ATTEST_EXPIRED,
		            "SNP: ARK or ASK/ASVK not valid at this time");
	if (!X509_check_ca(ca))
		return aerr(e, ENARX_E_ATTEST_CHAIN, "SNP: ASK/ASVK is not a CA");
	*crl_checked = false;
	return attest_crl_check(ca, a->ark[product], a->ark_key[product], crls, at, crl_checked,
	                        &lo, &hi, e, "SNP ASK/ASVK");
}

/* Cache key: the signing key type, every certificate and every CRL given. */
static int snp_cache_key(const enarx_evidence *ev, int signer, uint8_t key[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t sb = (uint8_t)signer;
	int ok =
	    m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(m, &sb, 1) == 1;
	for (size_t i = 0; ok && i < ev->crls.n; i++)
		ok = EVP_DigestUpdate(m, ev->crls.v[i].p, ev->crls.v[i].n) == 1;
	for (size_t i = 0; ok && i < ev->certs.n; i++)
		ok = EVP_DigestUpdate(m, ev->certs.v[i].p, ev->certs.v[i].n) == 1;
	ok = ok && EVP_DigestFinal_ex(m, key, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : ENARX_E_INTERNAL;
}

/*
 * Validates the signing certificate chain and fills the cache entry:
 * leaf CN matches SIGNING_KEY; issuer is the product's pinned ASK (VCEK) or
 * ASVK (VLEK), or a supplied intermediate signed by the pinned ARK; any ARK
 * supplied must be the pinned one; CRLs from the ARK are checked.
 */
static int snp_check_leaf(enarx_attest *a, const enarx_evidence *ev, X509 *leaf,
                          STACK_OF(X509) * others, int signer, int cpuid_prod, time_t at,
                          attest_cache_entry *ce, attest_err *e)
{
	char cn[64];
	int rc, prod = ext_product(leaf);
	attest_cert_cn(leaf, cn, sizeof(cn));
	const char *want = signer == SIGNER_VLEK ? "SEV-VLEK" : "SEV-VCEK";
	if (strcmp(cn, want) != 0)
		return aerr(e, ENARX_E_ATTEST_CHAIN,
		            "SNP: report SIGNING_KEY is %s but the certificate CN is \"%s\"",
		            signer ? "VLEK" : "VCEK", cn);
	if (prod < 0)
		prod = cpuid_prod;
	if (prod < 0)
		return aerr(e, ENARX_E_ATTEST_CHAIN, "SNP: cannot tell the product line");
	if (cpuid_prod >= 0 && cpuid_prod != prod)
		return aerr(e, ENARX_E_ATTEST_CHAIN,
		            "SNP: CPUID says %s but the certificate is for %s",
		            attest_pinned_amd[cpuid_prod].product, attest_pinned_amd[prod].product);
	/* Supplied ARKs must be the pinned one. */
	for (int i = 0; others && i < sk_X509_num(others); i++) {
		X509 *o = sk_X509_value(others, i);
		char ocn[64];
		attest_cert_cn(o, ocn, sizeof(ocn));
		if (strncmp(ocn, "ARK-", 4) == 0 && X509_cmp(o, a->ark[prod]) != 0)
			return aerr(e, ENARX_E_ATTEST_CHAIN,
			            "SNP: supplied %s is not the pinned AMD root", ocn);
	}
	X509 *issuer = signer == SIGNER_VLEK ? a->asvk[prod] : a->ask[prod];
	EVP_PKEY *ikey = signer == SIGNER_VLEK ? a->asvk_key[prod] : a->ask_key[prod];
	if (X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(issuer)) != 0 ||
	    X509_verify(leaf, ikey) != 1) {
		ERR_clear_error();
		/* A supplied intermediate (e.g. a re-issued ASK) signed by the pinned ARK. */
		issuer = NULL;
		/* It must be the right kind: SEV-<product> for a VCEK, SEV-VLEK-<product> for a VLEK. */
		char want_ca[32], ocn[64];
		snprintf(want_ca, sizeof(want_ca), "SEV-%s%s", signer == SIGNER_VLEK ? "VLEK-" : "",
		         attest_pinned_amd[prod].product);
		for (int i = 0; others && i < sk_X509_num(others); i++) {
			X509 *o = sk_X509_value(others, i);
			attest_cert_cn(o, ocn, sizeof(ocn));
			if (strcmp(ocn, want_ca) != 0 ||
			    X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(o)) !=
			        0 ||
			    X509_verify(leaf, X509_get0_pubkey(o)) != 1)
				continue;
			bool dummy;
			if (attest_snp_check_ca(a, prod, o, &ev->crls, at, &dummy, e) == 0) {
				issuer = o;
				break;
			}
		}
		ERR_clear_error();
		if (!issuer)
			return aerr(
			    e, ENARX_E_ATTEST_CHAIN,
			    "SNP: %s certificate signature failure (not signed by the %s %s)",
			    signer ? "VLEK" : "VCEK", attest_pinned_amd[prod].product,
			    signer ? "ASVK" : "ASK");
		ikey = X509_get0_pubkey(issuer);
	}
	/* RSASSA-PSS is what AMD uses; refuse anything else for the leaf. */
	if (X509_get_signature_nid(leaf) != NID_rsassaPss)
		return aerr(e, ENARX_E_ATTEST_CHAIN, "SNP: leaf not signed with RSASSA-PSS");
	bool crl = false;
	if ((rc = attest_snp_check_ca(a, prod, issuer, &ev->crls, at, &crl, e)))
		return rc;
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 384)
		return aerr(e, ENARX_E_ATTEST_CHAIN, "SNP: %s key is not EC P-384", want);
	/* Window where this result holds: all certs' validity. */
	time_t lo, hi, l2, h2;
	attest_cert_window(leaf, &lo, &hi);
	attest_cert_window(issuer, &l2, &h2);
	lo = lo > l2 ? lo : l2;
	hi = hi < h2 ? hi : h2;
	if (at < lo || at > hi) {
		char b1[32], b2[32];
		attest_format_time(lo, b1, sizeof(b1));
		attest_format_time(hi, b2, sizeof(b2));
		return aerr(e, ENARX_E_ATTEST_EXPIRED,
		            "SNP: %s certificate expired or not yet valid (valid %s..%s)", want, b1,
		            b2);
	}
	/* Narrow by CRL validity: re-run the CRL check to get the window. */
	if (crl) {
		bool cov = false;
		(void)attest_crl_check(issuer, a->ark[prod], a->ark_key[prod], &ev->crls, at, &cov,
		                       &lo, &hi, NULL, "");
	}
	static const char *spl_oid[5] = {AMD_OID "3.1", AMD_OID "3.2", AMD_OID "3.3", AMD_OID "3.8",
	                                 AMD_OID "3.9"};
	for (int i = 0; i < 5; i++)
		if (ext_int(leaf, spl_oid[i], &ce->spl[i]))
			return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP: bad SPL extension %s",
			            spl_oid[i]);
	if (ext_hwid(leaf, ce->hwid, &ce->hwid_len))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "SNP: bad hwID extension");
	if (!EVP_PKEY_up_ref(k))
		return ENARX_E_INTERNAL;
	ce->pkey = k;
	ce->product = prod;
	ce->signer = signer;
	ce->crl_checked = crl;
	ce->lo = lo;
	ce->hi = hi;
	return 0;
}

/* Certificate TCB == REPORTED_TCB (not CURRENT: the firmware derives the VCEK from it). */
static int snp_check_tcb(const attest_cache_entry *ce, const enarx_snp_claims *s, attest_err *e)
{
	const char *names[5] = {"blSPL", "teeSPL", "snpSPL", "ucodeSPL", "fmcSPL"};
	int rep[5] = {s->reported_tcb.bl, s->reported_tcb.tee, s->reported_tcb.snp,
	              s->reported_tcb.ucode, s->reported_tcb.fmc};
	for (int i = 0; i < 5; i++) {
		if (ce->spl[i] < 0) {
			if (i < 4 || ce->product == PROD_TURIN)
				return aerr(e, ENARX_E_ATTEST_TCB_MISMATCH,
				            "SNP: certificate lacks %s", names[i]);
			continue;
		}
		if (ce->spl[i] != rep[i])
			return aerr(e, ENARX_E_ATTEST_TCB_MISMATCH,
			            "SNP: certificate %s %d != REPORTED_TCB %d", names[i],
			            ce->spl[i], rep[i]);
	}
	return 0;
}

static int snp_check_chip(const attest_cache_entry *ce, enarx_snp_claims *s, attest_err *e)
{
	s->chip_id_checked = false;
	if (ce->signer == SIGNER_VLEK)
		return 0; /* VLEKs carry cspID, no hwID */
	/* A host may set MaskChipId (SNP_CONFIG), and then CHIP_ID is all zero; KEY_INFO
	 * bit 1 (MASK_CHIP_KEY) masks the chip key. The report signature still binds
	 * the report to this VCEK; only the hwID comparison is impossible. */
	bool masked = (s->key_info & 2) || all_zero(s->chip_id, 64);
	if (masked)
		return 0;
	size_t want = ce->product == PROD_TURIN ? 8 : 64;
	if (ce->hwid_len != want)
		return aerr(e, ENARX_E_ATTEST_TCB_MISMATCH,
		            "SNP: VCEK hwID is %zu bytes, expected %zu", ce->hwid_len, want);
	if (memcmp(ce->hwid, s->chip_id, want) != 0 || (want == 8 && !all_zero(s->chip_id + 8, 56)))
		return aerr(e, ENARX_E_ATTEST_TCB_MISMATCH, "SNP: VCEK hwID != report CHIP_ID");
	s->chip_id_checked = true;
	return 0;
}

static int find_leaf(const enarx_evidence *ev, int signer, const attest_bytes **leaf)
{
	/* The leaf is the certificate with an EC key; others are CAs. */
	for (size_t i = 0; i < ev->certs.n; i++) {
		const unsigned char *q = ev->certs.v[i].p;
		X509 *x = d2i_X509(NULL, &q, (long)ev->certs.v[i].n);
		if (!x)
			continue;
		char cn[64];
		attest_cert_cn(x, cn, sizeof(cn));
		X509_free(x);
		if (strcmp(cn, signer ? "SEV-VLEK" : "SEV-VCEK") == 0) {
			*leaf = &ev->certs.v[i];
			return 0;
		}
	}
	ERR_clear_error();
	return ENARX_E_NOTFOUND;
}

/* Azure HCL: REPORT_DATA = hash(runtime claims) || zeros; the claims are then exposed. */
static int snp_check_hcl(const enarx_evidence *ev, enarx_claims *c, attest_err *e)
{
	static const char *names[] = {"", "SHA-256", "SHA-384", "SHA-512"};
	const EVP_MD *md = ev->hcl_hash_type == 1   ? EVP_sha256()
	                   : ev->hcl_hash_type == 2 ? EVP_sha384()
	                                            : EVP_sha512();
	uint8_t h[64] = {0};
	unsigned hl = 0;
	if (EVP_Digest(ev->hcl_claims.p, ev->hcl_claims.n, h, &hl, md, NULL) != 1)
		return ENARX_E_INTERNAL;
	if (memcmp(h, c->report_data, 64) != 0)
		return aerr(e, ENARX_E_ATTEST_BINDING,
		            "SNP HCL report: REPORT_DATA is not %s(runtime claims) || zeros",
		            names[ev->hcl_hash_type]);
	char *json = xmalloc(ev->hcl_claims.n + 1);
	if (!json)
		return ENARX_E_NOMEM;
	memcpy(json, ev->hcl_claims.p, ev->hcl_claims.n);
	json[ev->hcl_claims.n] = 0;
	c->snp.hcl_runtime_claims = json;
	return 0;
}

int attest_snp_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c)
{
	attest_err *e = &a->err;
	enarx_snp_claims *s = &c->snp;
	int rc = attest_snp_parse(ev->data.p, ev->data.n, s, c->report_data, e);
	if (rc)
		return rc;
	c->tee = ENARX_TEE_SNP;
	c->debug = (s->policy & SNP_POLICY_DEBUG) != 0;
	int signer = (int)SNP_KEY_INFO_SIGNING_KEY(s->key_info);
	const attest_bytes *leafb = NULL;
	uint8_t key[32];
	if ((rc = snp_cache_key(ev, signer, key)))
		return rc;
	attest_cache_entry *ce = attest_cache_find(a->snp_cache, key, at);
	if (ce) {
		a->cache_hits++;
	} else {
		a->cache_misses++;
		if (find_leaf(ev, signer, &leafb))
			return aerr(e, ENARX_E_ATTEST_CHAIN, "SNP: no %s certificate given",
			            signer ? "VLEK" : "VCEK");
		const unsigned char *q = leafb->p;
		X509 *leaf = d2i_X509(NULL, &q, (long)leafb->n);
		STACK_OF(X509) *others = sk_X509_new_null();
		for (size_t i = 0; others && i < ev->certs.n; i++) {
			if (&ev->certs.v[i] == leafb)
				continue;
			const unsigned char *q2 = ev->certs.v[i].p;
			X509 *x = d2i_X509(NULL, &q2, (long)ev->certs.v[i].n);
			if (x && !sk_X509_push(others, x))
				X509_free(x);
		}
		attest_cache_entry tmp;
		memset(&tmp, 0, sizeof(tmp));
		rc = leaf && others ? snp_check_leaf(a, ev, leaf, others, signer,
		                                     product_from_cpuid(s), at, &tmp, e)
		                    : ENARX_E_NOMEM;
		X509_free(leaf);
		sk_X509_pop_free(others, X509_free);
		ERR_clear_error();
		if (rc) {
			attest_cache_entry_clear(&tmp);
			return rc;
		}
		ce = attest_cache_slot(a->snp_cache, &a->snp_next);
		*ce = tmp;
		memcpy(ce->key, key, 32);
		ce->used = true;
	}
	if (!s->product[0] || ce->product != product_from_cpuid(s)) {
		/* v2 reports: the product comes from the certificate; re-decode TCBs. */
		snprintf(s->product, sizeof(s->product), "%s",
		         attest_pinned_amd[ce->product].product);
		decode_tcb(s->current_tcb.raw, ce->product, &s->current_tcb);
		decode_tcb(s->reported_tcb.raw, ce->product, &s->reported_tcb);
		decode_tcb(s->committed_tcb.raw, ce->product, &s->committed_tcb);
		decode_tcb(s->launch_tcb.raw, ce->product, &s->launch_tcb);
	}
	if ((rc = snp_check_tcb(ce, s, e)) || (rc = snp_check_chip(ce, s, e)))
		return rc;
	const uint8_t *p = ev->data.p;
	if (attest_ecdsa_verify(ce->pkey, EVP_sha384(), p, SNP_SIGNED_SIZE, p + 0x2a0,
	                        p + 0x2a0 + 72, 48, true))
		return aerr(e, ENARX_E_ATTEST_SIGNATURE,
		            "SNP: report signature does not verify with the %s", s->signer);
	c->revocation_checked = ce->crl_checked;
	return ev->hcl_claims.p ? snp_check_hcl(ev, c, e) : 0;
}
