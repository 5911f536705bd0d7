/*
 * Tests of tls/: hand-built TLS byte streams (RFC 5246, RFC 8446, RFC 6101
 * E.2) fed to dt_tls_data() whole, split at every byte boundary and one
 * byte at a time, which must give the same facts; every message type;
 * malformed lengths; the handshake cap; the generated name tables.
 */
#include <stdarg.h>
#include <stdint.h>

#include "analyzer_int.h"
#include "report/report.h"
#include "testutil.h"
#include "tls/names.h"
#include "tls/tls.h"

/* test certificates: made with openssl (EC P-256), CA "Corp Root CA" valid 2026-11-25 .. 2046, leaf "da.example.com" 2026-11-25 .. 2036-11-22 */
static const unsigned char cert_ca[] = {
  0x30, 0x82, 0x01, 0x93, 0x30, 0x82, 0x01, 0x39, 0xa0, 0x03, 0x02, 0x01,
  0x02, 0x02, 0x14, 0x69, 0x7f, 0xe7, 0x47, 0x9c, 0xdc, 0x8b, 0x82, 0x67,
  0x0a, 0x4e, 0xf2, 0xa5, 0x4a, 0x43, 0x25, 0xad, 0xc5, 0x68, 0x99, 0x30,
  0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
  0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c,
  0x43, 0x6f, 0x72, 0x70, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41,
  0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x31, 0x36,
  0x35, 0x33, 0x30, 0x38, 0x5a, 0x17, 0x0d, 0x34, 0x36, 0x31, 0x31, 0x32,
  0x30, 0x31, 0x36, 0x35, 0x33, 0x30, 0x38, 0x5a, 0x30, 0x17, 0x31, 0x15,
  0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x43, 0x6f, 0x72,
  0x70, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41, 0x30, 0x59, 0x30,
  0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
  0x70, 0x21, 0x76, 0x9a, 0xe0, 0x9e, 0xd6, 0x16, 0x7d, 0x32, 0xd3, 0x4d,
  0x7c, 0x1c, 0xcd, 0x22, 0xd2, 0xdd, 0x4a, 0x88, 0xeb, 0x04, 0xc2, 0x5d,
  0x51, 0x7b, 0xd0, 0x18, 0xa1, 0xe4, 0x15, 0x34, 0x12, 0x7a, 0x30, 0x00,
  0xc1, 0x38, 0x33, 0x15, 0x87, 0x63, 0xed, 0x55, 0xc5, 0xfb, 0x68, 0xfc,
  0xe1, 0x38, 0x1d, 0xe9, 0xb8, 0x24, 0x9f, 0x6a, 0xd1, 0x89, 0x70, 0x68,
  0x21, 0x79, 0x00, 0x47, 0xa3, 0x63, 0x30, 0x61, 0x30, 0x1d, 0x06, 0x03,
  0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x75, 0x43, 0xa2, 0x7b, 0x1f,
  0xc9, 0x70, 0xaa, 0x6e, 0x1d, 0x27, 0x6f, 0x72, 0x2f, 0x7f, 0xb0, 0xea,
  0xea, 0xf1, 0xb5, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
  0x30, 0x16, 0x80, 0x14, 0x75, 0x43, 0xa2, 0x7b, 0x1f, 0xc9, 0x70, 0xaa,
  0x6e, 0x1d, 0x27, 0x6f, 0x72, 0x2f, 0x7f, 0xb0, 0xea, 0xea, 0xf1, 0xb5,
  0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05,
  0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f,
  0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x01, 0x06, 0x30, 0x0a, 0x06,
  0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00,
  0x30, 0x45, 0x02, 0x21, 0x00, 0xef, 0xa4, 0xc5, 0x1d, 0x97, 0x84, 0x0b,
  0xf3, 0x41, 0x74, 0x85, 0x8f, 0x8f, 0x53, 0xd1, 0x5e, 0xbe, 0xaa, 0xd9,
  0x88, 0xab, 0xaf, 0x07, 0x7c, 0xf3, 0x88, 0x4d, 0x61, 0x3e, 0x4b, 0xa9,
  0xd3, 0x02, 0x20, 0x2e, 0x1a, 0x27, 0x89, 0xae, 0xd5, 0x4a, 0x74, 0xb1,
  0xd9, 0xe4, 0x5c, 0x88, 0xaf, 0x22, 0x9f, 0x81, 0x8c, 0x20, 0x06, 0xa1,
  0xa4, 0x01, 0x63, 0x92, 0x2d, 0x96, 0xd6, 0xff, 0xed, 0x5b, 0x04
};
static const unsigned char cert_leaf[] = {
  0x30, 0x82, 0x01, 0xa5, 0x30, 0x82, 0x01, 0x4a, 0xa0, 0x03, 0x02, 0x01,
  0x02, 0x02, 0x14, 0x35, 0x33, 0xd4, 0xd8, 0x67, 0xb6, 0x97, 0xb6, 0x54,
  0xfa, 0xaf, 0x0f, 0xfe, 0x84, 0x2d, 0x84, 0xcc, 0xa4, 0xd0, 0x07, 0x30,
  0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
  0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c,
  0x43, 0x6f, 0x72, 0x70, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41,
  0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x31, 0x36,
  0x35, 0x33, 0x30, 0x38, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x32,
  0x32, 0x31, 0x36, 0x35, 0x33, 0x30, 0x38, 0x5a, 0x30, 0x19, 0x31, 0x17,
  0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e, 0x64, 0x61, 0x2e,
  0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x30,
  0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42,
  0x00, 0x04, 0xfa, 0x8b, 0x2b, 0x09, 0x6d, 0x38, 0x05, 0xab, 0x8e, 0x50,
  0x07, 0xf2, 0x79, 0xdb, 0x8f, 0xab, 0x66, 0x8c, 0x0d, 0xd2, 0xbb, 0x98,
  0xdb, 0x98, 0xdd, 0xd4, 0xcc, 0xa2, 0xd8, 0xdb, 0xc6, 0xb9, 0x95, 0xd5,
  0x2e, 0xd0, 0xa3, 0x6f, 0x28, 0x81, 0x64, 0x55, 0xee, 0x50, 0x14, 0x48,
  0x9a, 0x93, 0xe7, 0xa1, 0x2b, 0xb5, 0xaf, 0xb6, 0x2d, 0x41, 0xf8, 0x77,
  0x14, 0xf7, 0x0a, 0xb7, 0x97, 0x10, 0xa3, 0x72, 0x30, 0x70, 0x30, 0x19,
  0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x12, 0x30, 0x10, 0x82, 0x0e, 0x64,
  0x61, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f,
  0x6d, 0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a,
  0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x30, 0x1d,
  0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x48, 0x61, 0xd4,
  0xec, 0xb0, 0x66, 0xb6, 0xa8, 0x17, 0xdf, 0x59, 0xa5, 0x9a, 0x58, 0xc8,
  0x27, 0xca, 0x9a, 0x09, 0x87, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
  0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x75, 0x43, 0xa2, 0x7b, 0x1f, 0xc9,
  0x70, 0xaa, 0x6e, 0x1d, 0x27, 0x6f, 0x72, 0x2f, 0x7f, 0xb0, 0xea, 0xea,
  0xf1, 0xb5, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
  0x03, 0x02, 0x03, 0x49, 0x00, 0x30, 0x46, 0x02, 0x21, 0x00, 0xa3, 0xbe,
  0x13, 0x33, 0x32, 0xa1, 0x6f, 0xc8, 0x23, 0x21, 0x99, 0x19, 0x0f, 0x6e,
  0xa7, 0xc9, 0xe7, 0x36, 0xb3, 0xaa, 0xed, 0xc9, 0xcb, 0x96, 0x90, 0x6e,
  0x88, 0xce, 0xc7, 0x9d, 0x26, 0x47, 0x02, 0x21, 0x00, 0xe9, 0x2f, 0x3b,
  0x0f, 0xb3, 0xc6, 0x6a, 0x49, 0x9c, 0x98, 0x9c, 0xda, 0x90, 0xc5, 0x96,
  0x5d, 0xad, 0xea, 0x3f, 0xc5, 0x44, 0x6f, 0xb6, 0xdc, 0xad, 0x4b, 0x2a,
  0x4f, 0x7c, 0x7f, 0x04, 0x73
};
static const char cert_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBkzCCATmgAwIBAgIUaX/nR5zci4JnCk7ypUpDJa3FaJkwCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMQ29ycCBSb290IENBMB4XDTI2MTEyNTE2NTMwOFoXDTQ2MTEy\n"
	"MDE2NTMwOFowFzEVMBMGA1UEAwwMQ29ycCBSb290IENBMFkwEwYHKoZIzj0CAQYI\n"
	"KoZIzj0DAQcDQgAEcCF2muCe1hZ9MtNNfBzNItLdSojrBMJdUXvQGKHkFTQSejAA\n"
	"wTgzFYdj7VXF+2j84Tgd6bgkn2rRiXBoIXkAR6NjMGEwHQYDVR0OBBYEFHVDonsf\n"
	"yXCqbh0nb3Ivf7Dq6vG1MB8GA1UdIwQYMBaAFHVDonsfyXCqbh0nb3Ivf7Dq6vG1\n"
	"MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0gA\n"
	"MEUCIQDvpMUdl4QL80F0hY+PU9FevqrZiKuvB3zziE1hPkup0wIgLhonia7VSnSx\n"
	"2eRciK8in4GMIAahpAFjki2W1v/tWwQ=\n"
	"-----END CERTIFICATE-----\n"
;

/* ---- building bytes ----------------------------------------------------- */

struct b {
	uint8_t p[1 << 17];
	size_t n;
	size_t st[16];
	int wid[16];
	int sp;
};

static void
u8(struct b *b, unsigned v)
{
	ck_assert(b->n < sizeof b->p);
	b->p[b->n++] = (uint8_t)v;
}

static void
u16(struct b *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v);
}

static void
u24(struct b *b, unsigned v)
{
	u8(b, v >> 16);
	u16(b, v & 0xFFFF);
}

static void
raw(struct b *b, const void *p, size_t n)
{
	ck_assert(b->n + n <= sizeof b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
str(struct b *b, const char *s)
{
	raw(b, s, strlen(s));
}

static void
zeros(struct b *b, size_t n)
{
	while (n-- > 0)
		u8(b, 0);
}

/* open a length-prefixed vector of `width` bytes; vclose() patches it */
static void
vopen(struct b *b, int width)
{
	ck_assert(b->sp < 16);
	b->st[b->sp] = b->n;
	b->wid[b->sp++] = width;
	zeros(b, (size_t)width);
}

static void
vclose(struct b *b)
{
	size_t pos, len;
	int w, i;

	ck_assert(b->sp > 0);
	pos = b->st[--b->sp];
	w = b->wid[b->sp];
	len = b->n - pos - (size_t)w;
	for (i = w - 1; i >= 0; i--, len >>= 8)
		b->p[pos + (size_t)i] = (uint8_t)len;
}

/* wrap body into records of at most `frag` bytes */
static void
records(struct b *out, uint8_t type, uint16_t ver, const uint8_t *p, size_t n,
    size_t frag)
{
	do {
		size_t k = n < frag ? n : frag;
		u8(out, type);
		u16(out, ver);
		u16(out, (unsigned)k);
		raw(out, p, k);
		p += k;
		n -= k;
	} while (n > 0);
}

static void
record(struct b *out, uint8_t type, const struct b *body)
{
	records(out, type, 0x0303, body->p, body->n, 16384);
}

static void
hs_open(struct b *b, uint8_t type)
{
	u8(b, type);
	vopen(b, 3);
}

struct ch {
	uint16_t version;
	const uint16_t *suites;
	size_t n_suites;
	size_t sid_len;
	const char *sni;
	int tls13;		/* supported_versions 1.3, 1.2 + key_share */
	int no_ext;
};

static void
client_hello(struct b *b, const struct ch *o)
{
	size_t i;

	hs_open(b, 1);
	u16(b, o->version);
	for (i = 0; i < 32; i++)
		u8(b, (unsigned)i);
	vopen(b, 1);
	for (i = 0; i < o->sid_len; i++)
		u8(b, 0xA0 + (unsigned)i);
	vclose(b);
	vopen(b, 2);
	for (i = 0; i < o->n_suites; i++)
		u16(b, o->suites[i]);
	vclose(b);
	u8(b, 1);
	u8(b, 0);
	if (!o->no_ext) {
		vopen(b, 2);
		if (o->sni) {		/* server_name */
			u16(b, 0);
			vopen(b, 2);
			vopen(b, 2);
			u8(b, 0);
			vopen(b, 2);
			str(b, o->sni);
			vclose(b);
			vclose(b);
			vclose(b);
		}
		u16(b, 0x1A1A);		/* GREASE, empty */
		u16(b, 0);
		u16(b, 10);		/* supported_groups x25519 secp256r1 */
		vopen(b, 2);
		vopen(b, 2);
		u16(b, 29);
		u16(b, 23);
		vclose(b);
		vclose(b);
		u16(b, 13);		/* signature_algorithms */
		vopen(b, 2);
		vopen(b, 2);
		u16(b, 0x0403);
		u16(b, 0x0804);
		u16(b, 0x0401);
		vclose(b);
		vclose(b);
		u16(b, 16);		/* ALPN h2, http/1.1 */
		vopen(b, 2);
		vopen(b, 2);
		vopen(b, 1);
		str(b, "h2");
		vclose(b);
		vopen(b, 1);
		str(b, "http/1.1");
		vclose(b);
		vclose(b);
		vclose(b);
		u16(b, 23);		/* extended_master_secret */
		u16(b, 0);
		u16(b, 65281);		/* renegotiation_info */
		u16(b, 1);
		u8(b, 0);
		u16(b, 5);		/* status_request ocsp */
		vopen(b, 2);
		u8(b, 1);
		u16(b, 0);
		u16(b, 0);
		vclose(b);
		if (o->tls13) {
			u16(b, 43);
			vopen(b, 2);
			vopen(b, 1);
			u16(b, 0x0304);
			u16(b, 0x0303);
			vclose(b);
			vclose(b);
			u16(b, 51);	/* key_share: x25519 */
			vopen(b, 2);
			vopen(b, 2);
			u16(b, 29);
			vopen(b, 2);
			zeros(b, 32);
			vclose(b);
			vclose(b);
			vclose(b);
		}
		vclose(b);
	}
	vclose(b);
}

static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02,
	0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E,
	0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* sid: 0 none, 1 the client's (a0 a1 ...), 2 another one */
static void
server_hello(struct b *b, uint16_t suite, int sid, size_t sid_len,
    uint16_t selected, int hrr)
{
	size_t i;

	hs_open(b, 2);
	u16(b, 0x0303);
	if (hrr)
		raw(b, hrr_random, 32);
	else
		for (i = 0; i < 32; i++)
			u8(b, 0x40 + (unsigned)i);
	vopen(b, 1);
	for (i = 0; sid != 0 && i < sid_len; i++)
		u8(b, (sid == 1 ? 0xA0 : 0x10) + (unsigned)i);
	vclose(b);
	u16(b, suite);
	u8(b, 0);
	vopen(b, 2);
	u16(b, 65281);
	u16(b, 1);
	u8(b, 0);
	if (selected) {
		u16(b, 43);
		u16(b, 2);
		u16(b, selected);
	}
	vclose(b);
	vclose(b);
}

static void
certificate(struct b *b, int n)
{
	hs_open(b, 11);
	vopen(b, 3);
	if (n >= 1) {
		vopen(b, 3);
		raw(b, cert_leaf, sizeof cert_leaf);
		vclose(b);
	}
	if (n >= 2) {
		vopen(b, 3);
		raw(b, cert_ca, sizeof cert_ca);
		vclose(b);
	}
	vclose(b);
	vclose(b);
}

/* DER Name with one CN */
static void
dn(struct b *b, const char *cn)
{
	u8(b, 0x30);
	vopen(b, 1);
	u8(b, 0x31);
	vopen(b, 1);
	u8(b, 0x30);
	vopen(b, 1);
	u8(b, 0x06);
	u8(b, 3);
	u8(b, 0x55);
	u8(b, 0x04);
	u8(b, 0x03);
	u8(b, 0x0C);
	vopen(b, 1);
	str(b, cn);
	vclose(b);
	vclose(b);
	vclose(b);
	vclose(b);
}

static void
cert_request(struct b *b, const char *ca1, const char *ca2)
{
	hs_open(b, 13);
	vopen(b, 1);
	u8(b, 1);		/* rsa_sign */
	u8(b, 64);		/* ecdsa_sign */
	vclose(b);
	vopen(b, 2);
	u16(b, 0x0401);
	u16(b, 0x0403);
	vclose(b);
	vopen(b, 2);
	if (ca1) {
		vopen(b, 2);
		dn(b, ca1);
		vclose(b);
	}
	if (ca2) {
		vopen(b, 2);
		dn(b, ca2);
		vclose(b);
	}
	vclose(b);
	vclose(b);
}

static void
opaque_msg(struct b *b, uint8_t type, size_t n)
{
	hs_open(b, type);
	zeros(b, n);
	vclose(b);
}

/* ---- running ------------------------------------------------------------ */

struct step {
	int dir;
	uint64_t frame;
	int64_t time;
	const uint8_t *p;
	size_t n;
	uint64_t gap;		/* nonzero: a gap of this many bytes */
};

struct script {
	struct step s[32];
	size_t n;
	struct b data[32];	/* storage for the steps' bytes */
};

static struct script *
script_new(void)
{
	struct script *s = calloc(1, sizeof *s);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* a new step; returns its byte builder */
static struct b *
step(struct script *s, int dir, uint64_t frame)
{
	struct b *b = &s->data[s->n];

	ck_assert(s->n < 32);
	s->s[s->n].dir = dir;
	s->s[s->n].frame = frame;
	s->s[s->n].time = (int64_t)(1893456000 + frame) * 1000000000;
	s->n++;
	return b;
}

static void
gap(struct script *s, int dir, uint64_t frame, uint64_t n)
{
	(void)step(s, dir, frame);
	s->s[s->n - 1].gap = n;
}

static void
seal(struct script *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		s->s[i].p = s->data[i].p;
		s->s[i].n = s->data[i].n;
	}
}

struct out {
	char text[16384];
	size_t n;
};

static void
say(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(o->text + o->n, sizeof o->text - o->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k;
	if (o->n >= sizeof o->text)
		o->n = sizeof o->text - 1;
}

static void
say16(struct out *o, const char *name, const uint16_t *v, size_t n)
{
	size_t i;

	say(o, "%s=", name);
	for (i = 0; i < n; i++)
		say(o, "%s%04X", i ? "," : "", v[i]);
	say(o, "\n");
}

static void
say_cert(struct out *o, const struct dt_cert *x)
{
	say(o, "  cert subject=%s issuer=%s sha256=%.16s err=%s\n",
	    x->subject ? x->subject : "-", x->issuer ? x->issuer : "-",
	    x->sha256, x->parse_error ? x->parse_error : "-");
}

static void
say_http(struct out *o, const char *name, const struct dt_http_msg *h)
{
	say(o, "%s frame=%llu line=%s host=%s server=%s cl=%s status=%d\n",
	    name, (unsigned long long)h->frame, h->line ? h->line : "-",
	    h->host ? h->host : "-", h->server ? h->server : "-",
	    h->content_length ? h->content_length : "-", h->status);
}

/* Every fact, as text: what the split runs must reproduce. */
static void
summary(struct out *o, const struct dt_conn *c)
{
	const struct dt_tls_facts *f = c->tls;
	size_t i;

	o->n = 0;
	o->text[0] = '\0';
	say(o, "seen=%d recver=%04X ch=%llu@%lld legacy=%04X sslv2=%d\n",
	    f->seen, dt_tls_hello(f)->record_version, (unsigned long long)f->ch_frame,
	    (long long)f->ch_time, dt_tls_hello(f)->ch_legacy_version, f->sslv2_hello);
	say16(o, "cv", dt_tls_hello(f)->client_versions, dt_tls_hello(f)->n_client_versions);
	say16(o, "suites", dt_tls_hello(f)->offered_suites, dt_tls_hello(f)->n_offered_suites);
	say16(o, "ext", dt_tls_hello(f)->extensions, dt_tls_hello(f)->n_extensions);
	say16(o, "groups", dt_tls_hello(f)->ch_groups, dt_tls_hello(f)->n_ch_groups);
	say16(o, "sigalgs", dt_tls_hello(f)->ch_sig_algs, dt_tls_hello(f)->n_ch_sig_algs);
	say(o, "null=%d only=%d sni=%s alpn=%s reneg=%d ems=%d status=%d\n",
	    dt_tls_hello(f)->offered_null, dt_tls_hello(f)->offered_only_null, f->sni ? f->sni : "-",
	    f->alpn ? f->alpn : "-", dt_tls_hello(f)->ch_reneg_info, dt_tls_hello(f)->ch_ems,
	    dt_tls_hello(f)->ch_status_request);
	say(o, "sh=%llu version=%04X suite=%04X hrr=%d resumed=%d\n",
	    (unsigned long long)f->sh_frame, f->version, f->suite, f->hrr,
	    f->resumed);
	say(o, "scert=%llu n=%zu notvisible=%d chain=%d err=%s\n",
	    (unsigned long long)f->server_cert_frame, f->n_server_certs,
	    f->certs_not_visible, f->chain,
	    dt_tls_rare(f)->chain_error ? dt_tls_rare(f)->chain_error : "-");
	for (i = 0; i < f->n_server_certs; i++)
		say_cert(o, &f->server_certs[i]);
	say(o, "cr=%llu ncas=%zu", (unsigned long long)dt_tls_rare(f)->cert_request_frame,
	    dt_tls_rare(f)->n_ca_names);
	for (i = 0; i < dt_tls_rare(f)->n_ca_names; i++)
		say(o, " [%s]", dt_tls_rare(f)->ca_names[i] ? dt_tls_rare(f)->ca_names[i] : "NULL");
	say(o, " types=%zu algs=%zu\n", dt_tls_rare(f)->n_cr_cert_types, dt_tls_rare(f)->n_cr_sig_algs);
	say(o, "ccert=%d@%llu n=%zu\n", f->client_cert,
	    (unsigned long long)dt_tls_rare(f)->client_cert_frame, dt_tls_rare(f)->n_client_certs);
	for (i = 0; i < dt_tls_rare(f)->n_client_certs; i++)
		say_cert(o, &dt_tls_rare(f)->client_certs[i]);
	say(o, "shd=%llu ccs=%llu,%llu fin=%llu,%llu\n",
	    (unsigned long long)f->server_hello_done_frame,
	    (unsigned long long)f->ccs_frame[0],
	    (unsigned long long)f->ccs_frame[1],
	    (unsigned long long)f->finished_frame[0],
	    (unsigned long long)f->finished_frame[1]);
	say(o, "app=%llu/%llu/%llu,%llu/%llu/%llu\n",
	    (unsigned long long)f->appdata_frame[0],
	    (unsigned long long)f->appdata_bytes[0],
	    (unsigned long long)f->appdata_records[0],
	    (unsigned long long)f->appdata_frame[1],
	    (unsigned long long)f->appdata_bytes[1],
	    (unsigned long long)f->appdata_records[1]);
	say(o, "alert=%llu dir=%u level=%u desc=%u enc=%d n=%u\n",
	    (unsigned long long)f->alert_frame, f->alert_dir, f->alert_level,
	    f->alert_desc, f->alert_encrypted, f->n_alerts);
	say(o, "nontls=%llu dir=%u line=%s\n",
	    (unsigned long long)dt_tls_rare(f)->non_tls_frame, dt_tls_rare(f)->non_tls_dir,
	    dt_tls_rare(f)->non_tls_line ? dt_tls_rare(f)->non_tls_line : "-");
	say(o, "malformed=%llu dir=%u why=%s\n",
	    (unsigned long long)dt_tls_rare(f)->malformed_frame, dt_tls_rare(f)->malformed_dir,
	    dt_tls_rare(f)->malformed ? dt_tls_rare(f)->malformed : "-");
	say_http(o, "req", &dt_tls_http(f)->request);
	say_http(o, "resp", &dt_tls_http(f)->response);
	say(o, "truncated=%d@%llu\n", dt_tls_rare(f)->truncated,
	    (unsigned long long)dt_tls_rare(f)->truncated_frame);
	for (i = 0; i < c->n_events; i++)
		say(o, "ev %u dir=%u frame=%llu a=%u b=%u\n", c->events[i].type,
		    c->events[i].dir, (unsigned long long)dt_ev_frame(c, &c->events[i]),
		    c->events[i].a, c->events[i].b);
}

/* Feed a script. split: 0 whole steps; 1 step `which` cut at `at`;
   2 every step one byte at a time. rets: dt_tls_data results per step. */
struct run {
	struct dt_mem m;
	struct dt_conn c;
	struct dt_tls_facts tf;		/* c.tls: the run's own, freed with it */
	struct out o;
	int ret[32];
	size_t peak_buffered;
};

static const struct dt_x509_ctx *run_x509;
static int run_roles_from_syn;	/* c.roles_from_syn for the runs */
static uint16_t run_server_port;	/* c.server_port for the runs */

static void
run(struct run *r, const struct script *s, int split, size_t which, size_t at,
    size_t hs_cap)
{
	struct dt_tls_config cfg = { hs_cap, run_x509, NULL, NULL, NULL, NULL };
	struct dt_tls *t;
	size_t i, j;

	memset(r, 0, sizeof *r);
	r->c.tls = &r->tf;
	r->c.roles_from_syn = run_roles_from_syn;
	r->c.server_port = run_server_port;
	dt_mem_init(&r->m, NULL, NULL, 0);
	t = dt_tls_new(&r->m, &cfg);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < s->n; i++) {
		const struct step *st = &s->s[i];
		int ret = 1;

		if (st->gap) {
			dt_tls_gap(t, &r->c, st->dir, st->gap, st->frame);
			continue;
		}
		if (split == 2) {
			for (j = 0; j < st->n; j++)
				ret = dt_tls_data(t, &r->c, st->dir, st->p + j,
				    1, st->frame, st->time);
		} else if (split == 1 && i == which && at > 0 && at < st->n) {
			(void)dt_tls_data(t, &r->c, st->dir, st->p, at,
			    st->frame, st->time);
			ret = dt_tls_data(t, &r->c, st->dir, st->p + at,
			    st->n - at, st->frame, st->time);
		} else {
			ret = dt_tls_data(t, &r->c, st->dir, st->p, st->n,
			    st->frame, st->time);
		}
		r->ret[i] = ret;
		if (dt_tls_buffered(t) > r->peak_buffered)
			r->peak_buffered = dt_tls_buffered(t);
	}
	dt_tls_end(t, &r->c);
	dt_tls_free(&r->m, t);
	summary(&r->o, &r->c);
}

static void
run_free(struct run *r)
{
	dt_tls_facts_clear(&r->m, r->c.tls);
	dt_conn_timeline_free(&r->m, &r->c);
	ck_assert_uint_eq(r->m.used, 0);	/* nothing leaked */
}

/* The script in the fuzz_tls.c input format, for the seed corpus. */
static void
write_seed(const char *dir, const struct script *s)
{
	static int count;
	char path[512];
	FILE *fp;
	size_t i;

	snprintf(path, sizeof path, "%s/seed-%02d", dir, count++);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	fputc(0x2A, fp);
	for (i = 0; i < s->n; i++) {
		size_t n = s->s[i].gap ? 0 : s->s[i].n;

		if (n > 0x7FFF)
			n = 0x7FFF;
		fputc((s->s[i].dir ? 0x80 : 0) | (int)(n >> 8), fp);
		fputc((int)(n & 0xFF), fp);
		fwrite(s->s[i].p, 1, n, fp);
	}
	fclose(fp);
}

/* Whole, every split point of every step, and byte at a time: same facts.
   Leaves the whole run in *r (free it with run_free). */
static void
run_all(struct run *r, const struct script *s, size_t hs_cap)
{
	static struct run alt;
	size_t i, at;

	run(r, s, 0, 0, 0, hs_cap);
	if (getenv("TLS_DUMP") != NULL)		/* eyeballing the facts */
		fprintf(stderr, "%s\n", r->o.text);
	if (getenv("TLS_SEEDS") != NULL)	/* fuzz seeds: fuzz_tls.c format */
		write_seed(getenv("TLS_SEEDS"), s);
	for (i = 0; i < s->n; i++) {
		for (at = 1; at < s->s[i].n; at++) {
			run(&alt, s, 1, i, at, hs_cap);
			if (strcmp(alt.o.text, r->o.text) != 0)
				ck_abort_msg("step %zu split at %zu differs:\n"
				    "%s\n--- whole:\n%s", i, at, alt.o.text,
				    r->o.text);
			run_free(&alt);
		}
	}
	run(&alt, s, 2, 0, 0, hs_cap);
	if (strcmp(alt.o.text, r->o.text) != 0)
		ck_abort_msg("byte at a time differs:\n%s\n--- whole:\n%s",
		    alt.o.text, r->o.text);
	run_free(&alt);
}

/* the events of a type, in order: "frame:a:b " ... */
static const char *
events_of(const struct dt_conn *c, uint8_t type, int dir)
{
	static char buf[1024];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < c->n_events && n < sizeof buf - 64; i++) {
		const struct dt_event *e = &c->events[i];
		if (e->type == type && (dir < 0 || e->dir == dir))
			n += (size_t)snprintf(buf + n, sizeof buf - n,
			    "%llu:%u:%u ", (unsigned long long)dt_ev_frame(c, e), e->a,
			    e->b);
	}
	return buf;
}

/* ---- the cases ---------------------------------------------------------- */

static const uint16_t suites_mixed[] = { 0x0A0A, 0xC02F, 0x003B, 0x0002,
    0x00FF };
static const uint16_t suites_null[] = { 0x003B, 0x0002, 0x00FF };
static const uint16_t suites_13[] = { 0x1301, 0x1302, 0xC02F };

static void
encrypted_record(struct b *out, uint8_t type, size_t n)
{
	size_t i;

	u8(out, type);
	u16(out, 0x0303);
	u16(out, (unsigned)n);
	for (i = 0; i < n; i++)
		u8(out, 0x55 ^ (unsigned)i);
}

static void
ccs(struct b *out)
{
	u8(out, 20);
	u16(out, 0x0303);
	u16(out, 1);
	u8(out, 1);
}

/* A TLS 1.2 handshake with a CertificateRequest answered by an empty
   client Certificate; the server's flight spans frames 2 and 3. */
static struct script *
script_full12(void)
{
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_mixed, 5, 0, "da.example.com", 0, 0 };
	static struct b body, recs;
	struct b *b;
	size_t cut;

	body.n = recs.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	records(b, 22, 0x0301, body.p, body.n, 16384);

	/* server: SH in its own record; then Certificate .. SHD in records
	   of 300 bytes; frame 3 starts inside the Certificate */
	body.n = 0;
	server_hello(&body, 0xC02F, 2, 32, 0, 0);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	body.n = 0;
	certificate(&body, 2);
	cut = body.n - 10;
	opaque_msg(&body, 12, 100);
	cert_request(&body, "Corp Root CA", "Other CA");
	opaque_msg(&body, 14, 0);
	records(&recs, 22, 0x0303, body.p, body.n, 300);
	/* record headers before the cut: one per 300 body bytes */
	cut += 5 * (cut / 300 + 1);
	raw(b, recs.p, cut);
	b = step(s, DT_S2C, 3);
	raw(b, recs.p + cut, recs.n - cut);

	body.n = 0;
	hs_open(&body, 11);	/* empty client Certificate */
	vopen(&body, 3);
	vclose(&body);
	vclose(&body);
	opaque_msg(&body, 16, 66);
	b = step(s, DT_C2S, 4);
	record(b, 22, &body);
	ccs(b);
	encrypted_record(b, 22, 40);

	b = step(s, DT_S2C, 5);
	ccs(b);
	encrypted_record(b, 22, 40);

	b = step(s, DT_C2S, 6);
	encrypted_record(b, 23, 100);
	encrypted_record(b, 23, 100);
	b = step(s, DT_S2C, 7);
	encrypted_record(b, 23, 50);
	seal(s);
	return s;
}

/* A connection that sent hello o, parsed with the capture's memory and
   trimmed as a connection that ended is (dt_conn_tls_trim). */
static struct dt_conn *
hello_conn(struct dt_capture *cap, const struct ch *o)
{
	struct dt_conn *c = dt_calloc(cap->mem, 1, sizeof *c);
	struct script *s = script_new();
	struct dt_tls *t = dt_tls_new(cap->mem, NULL);
	static struct b body;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(t);
	c->tls = (struct dt_tls_facts *)&dt_tls_none;
	c->next = cap->conns;
	cap->conns = c;
	body.n = 0;
	client_hello(&body, o);
	records(step(s, DT_C2S, 1), 22, 0x0301, body.p, body.n, 16384);
	seal(s);
	ck_assert_int_eq(dt_tls_data(t, c, DT_C2S, s->s[0].p, s->s[0].n,
	    s->s[0].frame, s->s[0].time), 1);
	dt_tls_end(t, c);
	dt_tls_free(cap->mem, t);
	free(s);
	dt_conn_tls_trim(cap, c);
	return c;
}

/* The facts, as text, of a connection that sent the ClientHello record
   rec (n bytes) to a parser of the capture cap with memo mo (NULL: none),
   trimmed as a connection that ended is. */
static void
memo_conn(struct dt_capture *cap, struct dt_tls_memo *mo, const uint8_t *rec,
    size_t n, struct out *o)
{
	struct dt_tls_config cfg = { 0, NULL, NULL, cap, NULL, mo };
	struct dt_conn *c = dt_calloc(cap->mem, 1, sizeof *c);
	struct dt_tls *t = dt_tls_new(cap->mem, &cfg);

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(t);
	c->tls = (struct dt_tls_facts *)&dt_tls_none;
	c->next = cap->conns;
	cap->conns = c;
	(void)dt_tls_data(t, c, DT_C2S, rec, n, 1, 1000);
	dt_tls_end(t, c);
	dt_tls_free(cap->mem, t);
	dt_conn_tls_trim(cap, c);
	memset(o, 0, sizeof *o);
	summary(o, c);
}

/* A hello the memo knows gives the facts reading it gives: with another
   random and server name (the kept hello shared, the name its own), and
   with a server_name at fault (read again, the fault told). */
START_TEST(t_hello_memo)
{
	struct ch o = { 0x0303, suites_mixed, 5, 4, "da.example.com", 1, 0 };
	struct ch o2 = { 0x0303, suites_mixed, 5, 4, "other.example.org", 1, 0 };
	static struct b body, rec;
	static struct out with, without;
	struct dt_mem m;
	struct dt_capture *cap, *plain;
	struct dt_tls_memo *mo;
	const struct dt_conn *a, *b;
	size_t at;

	dt_mem_init(&m, NULL, NULL, 0);
	cap = dt_calloc(&m, 1, sizeof *cap);
	plain = dt_calloc(&m, 1, sizeof *plain);
	ck_assert_ptr_nonnull(cap);
	ck_assert_ptr_nonnull(plain);
	cap->mem = plain->mem = &m;
	mo = dt_tls_memo_new(&m);
	ck_assert_ptr_nonnull(mo);

	body.n = rec.n = 0;
	client_hello(&body, &o);
	records(&rec, 22, 0x0301, body.p, body.n, 16384);
	memo_conn(cap, mo, rec.p, rec.n, &with);
	a = cap->conns;

	body.n = rec.n = 0;
	client_hello(&body, &o2);
	body.p[4 + 2 + 7] ^= 0x5A;	/* another random */
	records(&rec, 22, 0x0301, body.p, body.n, 16384);
	memo_conn(cap, mo, rec.p, rec.n, &with);
	memo_conn(plain, NULL, rec.p, rec.n, &without);
	b = cap->conns;
	ck_assert_str_eq(with.text, without.text);
	ck_assert_ptr_eq(a->tls->hello, b->tls->hello);
	ck_assert_str_eq(b->tls->sni, "other.example.org");
	ck_assert_str_eq(a->tls->sni, "da.example.com");
	ck_assert_ptr_eq(a->tls->alpn, b->tls->alpn);

	/* the host name's length past its list: the same key, at fault
	   (after the message header 4, version 2, random 32, session id
	   1 + 4, suites 2 + 10, compression 2, the extensions' length 2,
	   server_name's type 2, length 2, list length 2, name type 1: the
	   name length's low byte) */
	at = 4 + 2 + 32 + 1 + 4 + 2 + 10 + 2 + 2 + 2 + 2 + 2 + 1 + 1;
	ck_assert_uint_eq(body.p[at], strlen(o2.sni));
	body.p[at] += 1;
	rec.n = 0;
	records(&rec, 22, 0x0301, body.p, body.n, 16384);
	memo_conn(cap, mo, rec.p, rec.n, &with);
	memo_conn(plain, NULL, rec.p, rec.n, &without);
	ck_assert_str_eq(with.text, without.text);
	ck_assert_ptr_nonnull(strstr(with.text, "server_name"));

	dt_tls_memo_free(&m, mo);
	dt_capture_free(cap);
	dt_capture_free(plain);
	ck_assert_uint_eq(m.used, 0);	/* nothing leaked */
}
END_TEST

/* Connections that sent the same ClientHello keep one copy of it once
   they end; another hello keeps its own; a kept one written again is
   copied first, and the others still read theirs. */
START_TEST(t_hello_kept)
{
	struct ch o = { 0x0303, suites_mixed, 5, 0, "da.example.com", 1, 0 };
	struct ch other = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	struct dt_mem m;
	struct dt_capture *cap;
	struct dt_conn *a, *b, *x;
	struct dt_tls_hello *w;

	dt_mem_init(&m, NULL, NULL, 0);
	cap = dt_calloc(&m, 1, sizeof *cap);
	ck_assert_ptr_nonnull(cap);
	cap->mem = &m;
	a = hello_conn(cap, &o);
	b = hello_conn(cap, &o);
	x = hello_conn(cap, &other);
	ck_assert_ptr_nonnull(a->tls->hello);
	ck_assert_uint_eq(a->tls->hello->kept, 1);
	ck_assert_ptr_eq(a->tls->hello, b->tls->hello);
	ck_assert_ptr_ne(a->tls->hello, x->tls->hello);
	ck_assert_uint_eq(cap->n_lists, 2);
	ck_assert_uint_eq(dt_tls_hello(a->tls)->n_offered_suites, 5);
	ck_assert_uint_eq(dt_tls_hello(a->tls)->offered_suites[1], 0xC02F);
	ck_assert_uint_eq(dt_tls_hello(a->tls)->n_client_versions, 2);
	ck_assert_uint_eq(dt_tls_hello(a->tls)->client_versions[0], 0x0304);
	ck_assert_uint_eq(dt_tls_hello(a->tls)->record_version, 0x0301);
	ck_assert_uint_eq(dt_tls_hello(x->tls)->n_offered_suites, 3);
	ck_assert(dt_tls_hello(x->tls)->offered_only_null);
	ck_assert(!dt_tls_hello(a->tls)->offered_only_null);

	w = dt_tls_hello_make(&m, b->tls);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_ne(w, a->tls->hello);
	ck_assert_uint_eq(w->kept, 0);
	ck_assert_ptr_ne(w->offered_suites, a->tls->hello->offered_suites);
	w->offered_suites[1] = 0x1301;
	ck_assert_uint_eq(dt_tls_hello(a->tls)->offered_suites[1], 0xC02F);
	ck_assert_uint_eq(dt_tls_hello(b->tls)->offered_suites[1], 0x1301);
	ck_assert_uint_eq(dt_tls_hello(b->tls)->n_client_versions, 2);
	dt_capture_free(cap);
	ck_assert_uint_eq(m.used, 0);	/* nothing leaked */
}
END_TEST

/* A connection's rare part and HTTP heads go to kept memory when it
   ends, the heads' strings in one block; a head that is not UTF-8 is
   repaired into owned copies (the kept bytes left as they were read),
   and freeing the capture frees what is owned, nothing twice. */
START_TEST(t_tls_parts_kept)
{
	struct dt_mem m;
	struct dt_capture *cap;
	struct dt_conn *c;
	struct dt_tls_facts *t;
	struct dt_tls_http *h;
	struct dt_tls_rare *r;
	const char *kept_line;

	dt_mem_init(&m, NULL, NULL, 0);
	cap = dt_calloc(&m, 1, sizeof *cap);
	ck_assert_ptr_nonnull(cap);
	cap->mem = &m;
	c = dt_calloc(&m, 1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->tls = (struct dt_tls_facts *)&dt_tls_none;
	cap->conns = c;
	t = dt_conn_tls_make(&m, c);
	ck_assert_ptr_nonnull(t);
	t->sh_frame = 3;
	h = dt_tls_http_make(&m, t);
	r = dt_tls_rare_make(&m, t);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(r);
	h->request.frame = 5;
	h->request.line = dt_strdup(&m, "POST /IPHTTPS HTTP/1.1");
	h->request.host = dt_strdup(&m, "da.example.com");
	h->response.frame = 6;
	h->response.line = dt_strdup(&m, "HTTP/1.1 200 \xff\xfeOK");
	h->response.server = dt_strdup(&m, "Microsoft-HTTPAPI/2.0");
	r->cert_request_frame = 4;
	r->chain_error = dt_strdup(&m, "expired");

	dt_conn_tls_trim(cap, c);
	t = c->tls;
	ck_assert_uint_eq(t->kept & (4 | 8 | 16 | 32), 4 | 8 | 16 | 32);
	ck_assert_uint_eq(t->rare->cert_request_frame, 4);
	ck_assert_str_eq(t->rare->chain_error, "expired");
	ck_assert_str_eq(t->http->request.line, "POST /IPHTTPS HTTP/1.1");
	ck_assert_str_eq(t->http->request.host, "da.example.com");
	ck_assert_ptr_null(t->http->request.server);
	ck_assert_str_eq(t->http->response.server, "Microsoft-HTTPAPI/2.0");
	/* one block: the request's host right after its line */
	ck_assert_ptr_eq(t->http->request.host,
	    t->http->request.line + strlen(t->http->request.line) + 1);
	kept_line = t->http->response.line;

	ck_assert_int_eq(dt_conn_finish(cap, c), 0);
	ck_assert_uint_eq(t->kept & 32, 0);	/* owned copies now */
	ck_assert_str_eq(t->http->response.line,
	    "HTTP/1.1 200 \xef\xbf\xbd\xef\xbf\xbdOK");
	ck_assert_str_eq(t->http->request.line, "POST /IPHTTPS HTTP/1.1");
	ck_assert_str_eq(kept_line, "HTTP/1.1 200 \xff\xfeOK");
	dt_capture_free(cap);
	ck_assert_uint_eq(m.used, 0);	/* nothing leaked */
}
END_TEST

START_TEST(t_full12)
{
	static struct run r;
	struct script *s = script_full12();
	struct dt_x509_ctx *x = NULL;
	char err[256];
	const struct dt_tls_facts *f = &r.tf;
	struct dt_mem xm;

	dt_mem_init(&xm, NULL, NULL, 0);
	ck_assert_int_eq(dt_x509_ctx_new(&x, &xm, NULL, cert_ca_pem,
	    strlen(cert_ca_pem), NULL, err, sizeof err), 0);
	run_x509 = x;
	run_all(&r, s, 0);
	ck_assert_int_eq(f->seen, 1);
	ck_assert_uint_eq(dt_tls_hello(f)->record_version, 0x0301);
	ck_assert_uint_eq(f->ch_frame, 1);
	ck_assert_uint_eq(dt_tls_hello(f)->ch_legacy_version, 0x0303);
	ck_assert_uint_eq(dt_tls_hello(f)->n_client_versions, 1);
	ck_assert_uint_eq(dt_tls_hello(f)->client_versions[0], 0x0303);
	ck_assert_uint_eq(dt_tls_hello(f)->n_offered_suites, 5);
	ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[0], 0x0A0A);
	ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[2], 0x003B);
	ck_assert_int_eq(dt_tls_hello(f)->offered_null, 1);
	ck_assert_int_eq(dt_tls_hello(f)->offered_only_null, 0);
	ck_assert_str_eq(f->sni, "da.example.com");
	ck_assert_str_eq(f->alpn, "h2,http/1.1");
	ck_assert_uint_eq(dt_tls_hello(f)->n_extensions, 8);
	ck_assert_uint_eq(dt_tls_hello(f)->extensions[0], 0);
	ck_assert_uint_eq(dt_tls_hello(f)->extensions[1], 0x1A1A);
	ck_assert_uint_eq(dt_tls_hello(f)->extensions[6], 65281);
	ck_assert_uint_eq(dt_tls_hello(f)->n_ch_groups, 2);
	ck_assert_uint_eq(dt_tls_hello(f)->ch_groups[0], 29);
	ck_assert_uint_eq(dt_tls_hello(f)->n_ch_sig_algs, 3);
	ck_assert_uint_eq(dt_tls_hello(f)->ch_sig_algs[1], 0x0804);
	ck_assert_int_eq(dt_tls_hello(f)->ch_reneg_info, 1);
	ck_assert_int_eq(dt_tls_hello(f)->ch_ems, 1);
	ck_assert_int_eq(dt_tls_hello(f)->ch_status_request, 1);
	ck_assert_uint_eq(f->sh_frame, 2);
	ck_assert_uint_eq(f->version, 0x0303);
	ck_assert_uint_eq(f->suite, 0xC02F);
	ck_assert_int_eq(f->resumed, 0);
	ck_assert_int_eq(f->hrr, 0);
	/* the Certificate starts in frame 2 and ends in frame 3: like
	   Wireshark, it is shown in the frame that completes it */
	ck_assert_uint_eq(f->server_cert_frame, 3);
	ck_assert_uint_eq(f->n_server_certs, 2);
	ck_assert_ptr_nonnull(f->server_certs[0].subject);
	ck_assert_str_eq(f->server_certs[0].subject, "CN=da.example.com");
	ck_assert_str_eq(f->server_certs[1].subject, "CN=Corp Root CA");
	ck_assert_int_eq(f->certs_not_visible, 0);
	ck_assert_int_eq(f->chain, DT_CHAIN_OK);
	ck_assert_uint_eq(dt_tls_rare(f)->cert_request_frame, 3);
	ck_assert_uint_eq(dt_tls_rare(f)->n_ca_names, 2);
	ck_assert_str_eq(dt_tls_rare(f)->ca_names[0], "CN=Corp Root CA");
	ck_assert_str_eq(dt_tls_rare(f)->ca_names[1], "CN=Other CA");
	ck_assert_uint_eq(dt_tls_rare(f)->n_cr_cert_types, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->cr_cert_types[1], 64);
	ck_assert_uint_eq(dt_tls_rare(f)->n_cr_sig_algs, 2);
	ck_assert_int_eq(f->client_cert, DT_CCERT_EMPTY);
	ck_assert_uint_eq(dt_tls_rare(f)->client_cert_frame, 4);
	ck_assert_uint_eq(dt_tls_rare(f)->n_client_certs, 0);
	ck_assert_uint_eq(f->server_hello_done_frame, 3);
	ck_assert_uint_eq(f->ccs_frame[0], 4);
	ck_assert_uint_eq(f->ccs_frame[1], 5);
	ck_assert_uint_eq(f->finished_frame[0], 4);
	ck_assert_uint_eq(f->finished_frame[1], 5);
	ck_assert_uint_eq(f->appdata_frame[0], 6);
	ck_assert_uint_eq(f->appdata_frame[1], 7);
	ck_assert_uint_eq(f->appdata_bytes[1], 50);
	ck_assert_uint_eq(f->appdata_records[1], 1);
	ck_assert_uint_eq(f->alert_frame, 0);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_C2S),
	    "1:1:0 4:11:0 4:16:0 4:20:1 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_S2C),
	    "2:2:0 3:11:0 3:12:0 3:13:0 3:14:0 5:20:1 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_CCS, -1), "4:0:0 5:0:0 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_APPDATA, -1),
	    "6:0:0 7:0:0 ");
	/* both directions followed (by record headers) after the handshake */
	ck_assert_int_eq(r.ret[0], 1);
	ck_assert_int_eq(r.ret[2], 1);
	ck_assert_int_eq(r.ret[5], 1);
	ck_assert_int_eq(r.ret[6], 1);
	ck_assert_uint_le(r.peak_buffered, 5 + 16384 + 2048 + 4096);
	run_free(&r);
	run_x509 = NULL;
	dt_x509_ctx_free(x);
	free(s);
}
END_TEST

/* The IP-HTTPS shape: NULL-SHA256 chosen, Finished and HTTP readable. */
static struct script *
script_null(int with_alert)
{
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	static struct b body;
	struct b *b;
	static const char post[] = "POST /IPHTTPS HTTP/1.1\r\n"
	    "Host: da.example.com\r\n"
	    "Content-Length: 18446744073709551615\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\n"
	    "Server: Microsoft-HTTPAPI/2.0\r\n"
	    "Content-Length: 18446744073709551615\r\n\r\n";

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0x003B, 0, 0, 0, 0);
	certificate(&body, 1);
	opaque_msg(&body, 14, 0);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	body.n = 0;
	opaque_msg(&body, 16, 130);
	b = step(s, DT_C2S, 3);
	record(b, 22, &body);
	ccs(b);
	body.n = 0;
	opaque_msg(&body, 20, 12);	/* Finished, then its MAC */
	zeros(&body, 32);
	record(b, 22, &body);
	b = step(s, DT_S2C, 4);
	ccs(b);
	record(b, 22, &body);
	if (with_alert) {
		body.n = 0;
		u8(&body, 2);
		u8(&body, 40);
		zeros(&body, 32);
		b = step(s, DT_S2C, 5);
		record(b, 21, &body);
		seal(s);
		return s;
	}
	/* the POST in two records, each with its MAC */
	b = step(s, DT_C2S, 5);
	body.n = 0;
	raw(&body, post, 30);
	zeros(&body, 32);
	record(b, 23, &body);
	body.n = 0;
	raw(&body, post + 30, strlen(post) - 30);
	zeros(&body, 32);
	record(b, 23, &body);
	b = step(s, DT_S2C, 6);
	body.n = 0;
	str(&body, resp);
	zeros(&body, 32);
	record(b, 23, &body);
	seal(s);
	return s;
}

START_TEST(t_null_http)
{
	static struct run r;
	struct script *s = script_null(0);
	const struct dt_tls_facts *f = &r.tf;

	run_all(&r, s, 0);
	ck_assert_int_eq(dt_tls_hello(f)->offered_null, 1);
	ck_assert_int_eq(dt_tls_hello(f)->offered_only_null, 1);
	ck_assert_uint_eq(f->suite, 0x003B);
	ck_assert_int_eq(dt_tls_suite_is_null(f->suite), 1);
	ck_assert_uint_eq(f->finished_frame[0], 3);
	ck_assert_uint_eq(f->finished_frame[1], 4);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_C2S),
	    "1:1:0 3:16:0 3:20:0 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_S2C),
	    "2:2:0 2:11:0 2:14:0 4:20:0 ");
	ck_assert_uint_eq(dt_tls_http(f)->request.frame, 5);
	ck_assert_str_eq(dt_tls_http(f)->request.line, "POST /IPHTTPS HTTP/1.1");
	ck_assert_str_eq(dt_tls_http(f)->request.host, "da.example.com");
	ck_assert_str_eq(dt_tls_http(f)->request.content_length,
	    "18446744073709551615");
	ck_assert_uint_eq(dt_tls_http(f)->response.frame, 6);
	ck_assert_int_eq(dt_tls_http(f)->response.status, 200);
	ck_assert_str_eq(dt_tls_http(f)->response.server, "Microsoft-HTTPAPI/2.0");
	ck_assert_str_eq(events_of(&r.c, DT_EV_HTTP_REQUEST, -1), "5:0:0 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_HTTP_RESPONSE, -1),
	    "6:0:200 ");
	ck_assert_uint_eq(f->appdata_records[0], 2);
	ck_assert_int_eq(r.ret[4], 1);	/* head parsed: records hopped */
	ck_assert_int_eq(r.ret[5], 1);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_null_alert)
{
	static struct run r;
	struct script *s = script_null(1);
	const struct dt_tls_facts *f = &r.tf;

	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 5);
	ck_assert_uint_eq(f->alert_dir, DT_S2C);
	ck_assert_uint_eq(f->alert_level, 2);
	ck_assert_uint_eq(f->alert_desc, 40);
	ck_assert_int_eq(f->alert_encrypted, 0);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1), "5:552:0 ");
	run_free(&r);
	free(s);
}
END_TEST

/* TLS 1.3: ServerHello then everything encrypted. */
START_TEST(t_tls13)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_13, 3, 32, "da.example.com", 1, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	records(b, 22, 0x0301, body.p, body.n, 16384);
	body.n = 0;
	server_hello(&body, 0x1301, 1, 32, 0x0304, 0);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	ccs(b);
	encrypted_record(b, 23, 30);	/* EncryptedExtensions */
	encrypted_record(b, 23, 900);	/* Certificate */
	b = step(s, DT_S2C, 3);
	encrypted_record(b, 23, 80);	/* CertificateVerify, Finished */
	b = step(s, DT_C2S, 4);
	ccs(b);
	encrypted_record(b, 23, 53);	/* client Finished */
	encrypted_record(b, 23, 200);	/* application data */
	b = step(s, DT_S2C, 5);
	encrypted_record(b, 23, 300);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_hello(f)->n_client_versions, 2);
	ck_assert_uint_eq(dt_tls_hello(f)->client_versions[0], 0x0304);
	ck_assert_uint_eq(f->version, 0x0304);
	ck_assert_uint_eq(f->suite, 0x1301);
	ck_assert_int_eq(f->certs_not_visible, 1);
	ck_assert_int_eq(f->resumed, 0);	/* the echo is compat mode */
	ck_assert_uint_eq(f->n_server_certs, 0);
	ck_assert_uint_eq(f->finished_frame[1], 2);
	ck_assert_uint_eq(f->finished_frame[0], 4);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ENCRYPTED, -1),
	    "2:0:1010 4:0:53 ");
	ck_assert_uint_eq(f->appdata_frame[0], 4);
	ck_assert_uint_eq(f->appdata_bytes[0], 200);
	ck_assert_uint_eq(f->appdata_frame[1], 5);
	ck_assert_uint_eq(f->ccs_frame[0], 4);
	ck_assert_uint_eq(f->ccs_frame[1], 2);
	ck_assert_uint_eq(f->alert_frame, 0);
	ck_assert_int_eq(r.ret[3], 1);
	ck_assert_int_eq(r.ret[4], 1);
	run_free(&r);
	free(s);
}
END_TEST

/* TLS 1.3 drafts: ServerHello without session id/compression, its
   version the draft's (draft-ietf-tls-tls13-16: 0x7F10) or, in the early
   drafts, {3, 4} (as in suricata-verify's tls13-draft14 capture) */
static const uint16_t draft_versions[] = { 0x7F10, 0x0304 };
static const char *const draft_names[] = { "TLS 1.3 (draft 16)", "TLS 1.3" };

START_TEST(t_tls13_draft)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_13, 3, 0, "da.example.com", 1, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	size_t i;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	hs_open(&body, 2);
	u16(&body, draft_versions[_i]);
	for (i = 0; i < 32; i++)
		u8(&body, (unsigned)i + 0xC0);	/* not a length byte */
	u16(&body, 0x1303);
	vopen(&body, 2);
	u16(&body, 51);
	vopen(&body, 2);
	u16(&body, 29);
	vopen(&body, 2);
	zeros(&body, 32);
	vclose(&body);
	vclose(&body);
	vclose(&body);
	vclose(&body);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	encrypted_record(b, 23, 700);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->sh_frame, 2);
	ck_assert_uint_eq(f->version, draft_versions[_i]);
	ck_assert_str_eq(dt_tls_version_name(f->version), draft_names[_i]);
	ck_assert_uint_eq(f->suite, 0x1303);
	ck_assert_int_eq(f->certs_not_visible, 1);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ENCRYPTED, -1), "2:0:700 ");
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_hrr)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_13, 3, 32, "first.example", 1, 0 };
	struct ch o2 = { 0x0303, suites_13, 2, 32, "second.example", 1, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0x1302, 1, 32, 0x0304, 1);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	ccs(b);
	body.n = 0;
	client_hello(&body, &o2);
	b = step(s, DT_C2S, 3);
	ccs(b);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0x1302, 1, 32, 0x0304, 0);
	b = step(s, DT_S2C, 4);
	record(b, 22, &body);
	encrypted_record(b, 23, 500);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_int_eq(f->hrr, 1);
	ck_assert_uint_eq(f->sh_frame, 4);
	ck_assert_uint_eq(f->version, 0x0304);
	ck_assert_uint_eq(f->suite, 0x1302);
	ck_assert_str_eq(f->sni, "first.example");	/* the first hello */
	ck_assert_uint_eq(dt_tls_hello(f)->n_offered_suites, 3);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, -1),
	    "1:1:0 2:2:2 3:1:0 4:2:0 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ENCRYPTED, -1),
	    "4:0:500 ");
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_sslv2)
{
	static struct run r;
	struct script *s = script_new();
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	size_t i;

	body.n = 0;
	u8(&body, 1);
	u16(&body, 0x0301);
	u16(&body, 12);		/* 4 cipher specs */
	u16(&body, 0);
	u16(&body, 16);
	u8(&body, 0x01);	/* SSL_CK_RC4_128_WITH_MD5 */
	u16(&body, 0x0080);
	u8(&body, 0);
	u16(&body, 0x0002);
	u8(&body, 0);
	u16(&body, 0x003B);
	u8(&body, 0);
	u16(&body, 0x002F);
	for (i = 0; i < 16; i++)
		u8(&body, (unsigned)i);
	b = step(s, DT_C2S, 1);
	u8(b, 0x80 | (unsigned)(body.n >> 8));
	u8(b, (unsigned)(body.n & 0xFF));
	raw(b, body.p, body.n);
	body.n = 0;
	server_hello(&body, 0x0002, 0, 0, 0, 0);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_int_eq(f->sslv2_hello, 1);
	ck_assert_uint_eq(dt_tls_hello(f)->record_version, 0x0002);
	ck_assert_uint_eq(f->ch_frame, 1);
	ck_assert_uint_eq(dt_tls_hello(f)->ch_legacy_version, 0x0301);
	ck_assert_uint_eq(dt_tls_hello(f)->n_offered_suites, 3);
	ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[0], 0x0002);
	ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[1], 0x003B);
	ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[2], 0x002F);
	/* every spec as sent, the SSL 2.0 kind too */
	ck_assert_uint_eq(dt_tls_rare(f)->n_sslv2_specs, 4);
	ck_assert_uint_eq(dt_tls_rare(f)->sslv2_specs[0], 0x010080);
	ck_assert_uint_eq(dt_tls_rare(f)->sslv2_specs[1], 0x000002);
	ck_assert_uint_eq(dt_tls_rare(f)->sslv2_specs[2], 0x00003B);
	ck_assert_uint_eq(dt_tls_rare(f)->sslv2_specs[3], 0x00002F);
	ck_assert_int_eq(dt_tls_hello(f)->offered_null, 1);
	ck_assert_int_eq(dt_tls_hello(f)->offered_only_null, 0);
	ck_assert_str_eq(events_of(&r.c, DT_EV_SSLV2_HELLO, -1), "1:1:0 ");
	ck_assert_uint_eq(f->suite, 0x0002);
	run_free(&r);
	free(s);
}
END_TEST

/* A server that answers in SSL 2.0 (SERVER-HELLO). */
START_TEST(t_sslv2_server)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	b = step(s, DT_S2C, 2);
	u8(b, 0x80);
	u8(b, 14);
	u8(b, 4);		/* SERVER-HELLO */
	u8(b, 0);		/* session id hit */
	u8(b, 1);		/* X.509 */
	u16(b, 0x0002);		/* server version */
	u16(b, 0);		/* no certificate */
	u16(b, 3);
	u16(b, 0);
	u8(b, 0x01);
	u16(b, 0x0080);
	/* the client goes on in SSL 2.0: CLIENT-MASTER-KEY in the clear
	   (cipher kind, clear and encrypted key lengths, key arg length,
	   then the 8 bytes they count), then encrypted records */
	b = step(s, DT_C2S, 3);
	u8(b, 0x80);
	u8(b, 18);
	u8(b, 2);		/* CLIENT-MASTER-KEY */
	u8(b, 0x01);
	u16(b, 0x0080);
	u16(b, 0);
	u16(b, 8);
	u16(b, 0);
	u16(b, 0x0102);
	u16(b, 0x0304);
	u16(b, 0x0506);
	u16(b, 0x0708);
	b = step(s, DT_C2S, 4);
	u8(b, 0x80);
	u8(b, 4);
	u16(b, 0x02a5);		/* encrypted: a 2 here is not a message */
	u16(b, 0xa5a5);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->sh_frame, 2);
	ck_assert_uint_eq(f->version, 0x0002);
	ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	ck_assert_str_eq(events_of(&r.c, DT_EV_SSLV2_HELLO, -1),
	    "2:4:0 3:2:0 ");
	ck_assert_str_eq(dt_report_msg_name(&r.c.events[r.c.n_events - 1]),
	    "sslv2_client_master_key");
	ck_assert_int_eq(r.ret[1], 0);
	/* the report names it for what it is */
	ck_assert_uint_eq(r.c.events[r.c.n_events - 2].type, DT_EV_SSLV2_HELLO);
	ck_assert_str_eq(dt_report_msg_name(&r.c.events[r.c.n_events - 2]),
	    "sslv2_server_hello");
	run_free(&r);
	free(s);
}
END_TEST

static const struct {
	const char *reply;
	const char *line;
	size_t len;		/* 0: strlen */
} nontls_cases[] = {
	/* record-shaped, but its length (5) is not what follows */
	{ "\0\0\0\0\5\0\50", "(binary) 00 00 00 00 05 00 28", 7 },
	/* alert-shaped, but 40 is not an alert level's second byte here:
	   the length runs past the segment */
	{ "\0\0\0\0\2\0\50\0", "(binary) 00 00 00 00 02 00 28 00", 8 },
	{ "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>",
	  "HTTP/1.1 400 Bad Request", 0 },
	{ "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "SSH-2.0-OpenSSH_9.2p1 Debian-2",
	  0 },
	{ "220 mail.example.com ESMTP\n", "220 mail.example.com ESMTP", 0 },
	{ "no newline at all", "no newline at all", 0 },
	/* alert-shaped with s2n's version 0x0000, but 5 bytes long: not
	   the 2-byte alert s2n wrote */
	{ "\25\0\0\0\5\0\50\0\0\0", "(binary) 15 00 00 00 05 00 28 00 00 00",
	  10 },
};

START_TEST(t_nontls)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	b = step(s, DT_S2C, 2);
	raw(b, nontls_cases[_i].reply, nontls_cases[_i].len ?
	    nontls_cases[_i].len : strlen(nontls_cases[_i].reply));
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_dir, DT_S2C);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line, nontls_cases[_i].line);
	ck_assert_str_eq(events_of(&r.c, DT_EV_NON_TLS, -1), "2:0:0 ");
	ck_assert_uint_eq(f->sh_frame, 0);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/*
 * s2n-tls's alert before it had read a ClientHello, record version 0x0000
 * (aws/s2n-tls#1734; nDPI's alexa-app.pcapng, from S3): a TLS alert, in
 * one segment and split after its third and fourth bytes.
 */
START_TEST(t_s2n_alert)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	size_t cut = _i == 0 ? 7 : (size_t)_i + 2;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	b = step(s, DT_S2C, 2);
	raw(b, "\25\0\0\0\2\2\50", cut);
	if (cut < 7) {
		b = step(s, DT_S2C, 3);
		raw(b, "\25\0\0\0\2\2\50" + cut, 7 - cut);
	}
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, cut < 7 ? 3 : 2);
	ck_assert_uint_eq(f->alert_dir, DT_S2C);
	ck_assert_uint_eq(f->alert_level, 2);
	ck_assert_uint_eq(f->alert_desc, 40);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/*
 * A reply of one record whose header cannot be TLS but whose length is
 * exactly its 2-byte body, an alert description (zeek's
 * tls-1.2-protocol-error.pcap): TLS gone wrong on the way or in the
 * server's stack, a protocol violation, not another service's bytes.
 */
START_TEST(t_damaged_alert)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	b = step(s, DT_S2C, 2);
	raw(b, "\0\0\0\0\2\0\50", 7);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_dir, DT_S2C);
	ck_assert_str_eq(dt_tls_rare(f)->malformed, "a 7-byte answer to the ClientHello, "
	    "its header not TLS (content type 0, version 0x0000) but its "
	    "length that of its body, a handshake_failure (40) alert: a broken "
	    "TLS stack or a device rewriting it, not another protocol");
	ck_assert_uint_eq(f->alert_frame, 0);	/* not taken as an alert */
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_connect)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	int ok = _i == 0;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	str(b, "CONNECT da.example.com:443 HTTP/1.1\r\n"
	    "Host: da.example.com:443\r\n\r\n");
	record(b, 22, &body);
	b = step(s, DT_S2C, 2);
	str(b, ok ? "HTTP/1.1 200 Connection established\r\n\r\n" :
	    "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Negotiate\r\n\r\n");
	body.n = 0;
	server_hello(&body, 0x003B, 0, 0, 0, 0);
	record(b, 22, &body);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->ch_frame, 1);
	ck_assert_str_eq(f->sni, "da.example.com");
	ck_assert_uint_eq(f->sh_frame, ok ? 2 : 0);
	ck_assert_uint_eq(f->suite, ok ? 0x003B : 0);
	ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	ck_assert_int_eq(r.ret[1], ok ? 1 : 0);
	run_free(&r);
	free(s);
}
END_TEST

/*
 * A proxy tunnel whose first client record is empty (a zero-length
 * handshake record, which RFC 8446 5.1 forbids, or a zero-length
 * application-data record) before the ClientHello: the TLS after the
 * CONNECT is still seen and read, and the empty record is named where it
 * breaks the rules rather than ending the story (issue 17).
 */
START_TEST(t_connect_empty_record)
{
	static const uint8_t types[] = { 22, 23 };
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	static struct b body, none;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	none.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	str(b, "CONNECT da.example.com:443 HTTP/1.1\r\n"
	    "Host: da.example.com:443\r\n\r\n");
	b = step(s, DT_S2C, 2);
	str(b, "HTTP/1.1 200 Connection established\r\n\r\n");
	b = step(s, DT_C2S, 3);
	record(b, types[_i], &none);
	record(b, 22, &body);
	b = step(s, DT_S2C, 4);
	body.n = 0;
	server_hello(&body, 0x003B, 0, 0, 0, 0);
	record(b, 22, &body);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->ch_frame, 3);
	ck_assert_str_eq(f->sni, "da.example.com");
	ck_assert_uint_eq(f->sh_frame, 4);
	ck_assert_uint_eq(f->suite, 0x003B);
	ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	if (types[_i] == 22) {
		ck_assert_ptr_nonnull(dt_tls_rare(f)->malformed);
		ck_assert_ptr_nonnull(strstr(dt_tls_rare(f)->malformed,
		    "zero-length handshake record"));
	}
	run_free(&r);
	free(s);
}
END_TEST

/* ---- malformed input ---------------------------------------------------- */

/* ClientHello by hand up to the suites: version, random, sid */
static void
ch_start(struct b *b, size_t sid)
{
	size_t i;

	u16(b, 0x0303);
	zeros(b, 32);
	u8(b, (unsigned)sid);
	for (i = 0; i < sid; i++)
		u8(b, 1);
}

static const struct {
	const char *why;	/* the start of the reason */
	uint64_t frame;
	int dir;
} bad_cases[] = {
	{ "client record length 18433 exceeds 2^14+2048", 1, DT_C2S },
	{ "client record of content type 25", 2, DT_C2S },
	{ "client record version 0x0305 is not SSL 3.0 .. TLS 1.3", 2, DT_C2S },
	{ "ClientHello: cipher_suites vector overruns the message", 1, DT_C2S },
	{ "ClientHello: empty compression_methods", 1, DT_C2S },
	{ "ClientHello: cipher_suites vector of odd or zero length", 1, DT_C2S },
	{ "ClientHello: cipher_suites vector of odd or zero length", 1, DT_C2S },
	{ "ClientHello: session id longer than 32 bytes", 1, DT_C2S },
	{ "ClientHello: extensions vector overruns the message", 1, DT_C2S },
	{ "ClientHello: malformed ALPN protocol name", 1, DT_C2S },
	{ "zero-length handshake record", 2, DT_C2S },
	{ "Certificate: empty ASN.1Cert", 2, DT_S2C },
	{ "Certificate: certificate overruns the list", 2, DT_S2C },
	{ "handshake message cut by a record of content type 20", 2, DT_C2S },
	{ "alert record of 3 bytes", 2, DT_S2C },
	{ "NULL-cipher record of 10 bytes is shorter than its 32-byte MAC", 4,
	  DT_C2S },
	{ "CertificateRequest: empty DistinguishedName", 2, DT_S2C },
	{ "ServerHello: truncated", 2, DT_S2C },
	{ "SSLv2 ClientHello lengths do not add up", 1, DT_C2S },
};

static struct script *
script_bad(int i)
{
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	static struct b body, ch;
	struct b *b;

	ch.n = 0;
	client_hello(&ch, &o);
	body.n = 0;
	switch (i) {
	case 0:
		b = step(s, DT_C2S, 1);
		u8(b, 22);
		u16(b, 0x0301);
		u16(b, 18433);
		zeros(b, 100);
		break;
	case 1:
	case 2:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		b = step(s, DT_C2S, 2);
		u8(b, i == 1 ? 25 : 22);
		u16(b, i == 1 ? 0x0303 : 0x0305);
		u16(b, 1);
		u8(b, 0);
		break;
	case 3:
		hs_open(&body, 1);
		ch_start(&body, 0);
		u16(&body, 0x100);
		u16(&body, 0x002F);
		u16(&body, 0x0035);
		vclose(&body);
		b = step(s, DT_C2S, 1);
		record(b, 22, &body);
		break;
	case 4:
	case 5:
	case 6:
	case 7:
		hs_open(&body, 1);
		ch_start(&body, i == 7 ? 33 : 0);
		if (i == 5) {
			u16(&body, 3);
			u16(&body, 0x002F);
			u8(&body, 0);
		} else if (i == 6) {
			u16(&body, 0);
		} else {
			u16(&body, 2);
			u16(&body, 0x002F);
		}
		u8(&body, i == 4 ? 0 : 1);
		if (i != 4)
			u8(&body, 0);
		vclose(&body);
		b = step(s, DT_C2S, 1);
		record(b, 22, &body);
		break;
	case 8:
	case 9:
		hs_open(&body, 1);
		ch_start(&body, 0);
		u16(&body, 2);
		u16(&body, 0x002F);
		u8(&body, 1);
		u8(&body, 0);
		if (i == 8) {
			u16(&body, 40);	/* claims 40, has 4 */
			u16(&body, 23);
			u16(&body, 0);
		} else {
			vopen(&body, 2);
			u16(&body, 16);
			vopen(&body, 2);
			vopen(&body, 2);
			vopen(&body, 1);
			str(&body, "h2");
			vclose(&body);
			vopen(&body, 1);	/* empty ProtocolName */
			vclose(&body);
			vclose(&body);
			vclose(&body);
			vclose(&body);
		}
		vclose(&body);
		b = step(s, DT_C2S, 1);
		record(b, 22, &body);
		break;
	case 10:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		b = step(s, DT_C2S, 2);
		u8(b, 22);
		u16(b, 0x0303);
		u16(b, 0);
		break;
	case 11:
	case 12:
	case 16:
	case 17:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		if (i == 17) {
			hs_open(&body, 2);
			u16(&body, 0x0303);
			zeros(&body, 20);
			vclose(&body);
		} else {
			server_hello(&body, 0x003B, 0, 0, 0, 0);
		}
		if (i == 11 || i == 12) {
			hs_open(&body, 11);
			vopen(&body, 3);
			u24(&body, i == 11 ? 0 : 500);
			zeros(&body, i == 11 ? 0 : 20);
			vclose(&body);
			vclose(&body);
		} else if (i == 16) {
			hs_open(&body, 13);
			vopen(&body, 1);
			u8(&body, 1);
			vclose(&body);
			vopen(&body, 2);
			u16(&body, 0x0401);
			vclose(&body);
			vopen(&body, 2);
			vopen(&body, 2);
			dn(&body, "Corp Root CA");
			vclose(&body);
			u16(&body, 0);	/* empty DN */
			vclose(&body);
			vclose(&body);
		}
		b = step(s, DT_S2C, 2);
		record(b, 22, &body);
		break;
	case 13:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		opaque_msg(&body, 16, 100);
		b = step(s, DT_C2S, 2);
		records(b, 22, 0x0303, body.p, 50, 16384);
		ccs(b);
		break;
	case 14:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		b = step(s, DT_S2C, 2);
		u8(b, 21);
		u16(b, 0x0303);
		u16(b, 3);
		u8(b, 2);
		u8(b, 40);
		u8(b, 0);
		break;
	case 15:
		b = step(s, DT_C2S, 1);
		record(b, 22, &ch);
		server_hello(&body, 0x003B, 0, 0, 0, 0);
		opaque_msg(&body, 14, 0);
		b = step(s, DT_S2C, 2);
		record(b, 22, &body);
		body.n = 0;
		opaque_msg(&body, 16, 130);
		b = step(s, DT_C2S, 3);
		record(b, 22, &body);
		ccs(b);
		b = step(s, DT_C2S, 4);
		u8(b, 22);
		u16(b, 0x0303);
		u16(b, 10);
		zeros(b, 10);
		break;
	case 18:
		b = step(s, DT_C2S, 1);
		u8(b, 0x80);
		u8(b, 12);
		u8(b, 1);
		u16(b, 0x0301);
		u16(b, 3);	/* one spec */
		u16(b, 0);
		u16(b, 16);	/* challenge: claims 16, has 0 */
		zeros(b, 3);
		break;
	}
	seal(s);
	return s;
}

/* Issue 17: a record version 0xFFFF in the server's flight, then a
   heartbeat and a record of content type 99: the violation is the fact,
   the record layer finds the next header, says where and how many bytes it
   passed over, and the later records are shown with their types. */
START_TEST(t_resync_and_types)
{
	static struct run r;
	struct script *s = script_new();
	const struct dt_tls_facts *f = &r.tf;
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	struct b body = { 0 }, *b;

	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0x003B, 0, 0, 0, 0);
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	u8(b, 22);		/* a damaged header: version 0xFFFF */
	u16(b, 0xFFFF);
	u16(b, 4);
	zeros(b, 4);
	body.n = 0;
	opaque_msg(&body, 14, 0);	/* ServerHelloDone */
	record(b, 22, &body);
	b = step(s, DT_S2C, 3);
	u8(b, 24);		/* heartbeat, 3 bytes */
	u16(b, 0x0303);
	u16(b, 3);
	u8(b, 1);
	u16(b, 0);
	u8(b, 99);		/* unknown content type 99 */
	u16(b, 0x0303);
	u16(b, 2);
	u16(b, 0);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_ptr_nonnull(dt_tls_rare(f)->malformed);
	ck_assert_str_eq(dt_tls_rare(f)->malformed,
	    "server record version 0xFFFF is not SSL 3.0 .. TLS 1.3");
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_dir, DT_S2C);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, 9);
	ck_assert_uint_eq(f->server_hello_done_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->n_heartbeats, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->n_unknown_records, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->n_violations, 2);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_RECORD, DT_S2C),
	    "3:24:3 3:99:2 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_RESYNC, -1), "2:0:9 ");
	run_free(&r);
	free(s);
}
END_TEST

/* A damaged header, then a gap while the record layer looks for the next
   one: the bytes it had gathered toward a header (the damaged header
   itself when its segment ended with it) were dropped at the gap without
   being counted, so "N bytes skipped" was short, and by one more when the
   header's last byte ended a call (split). The count is from the damaged
   header's first byte to the next header: 5 (+3) in frame 2, the gap's
   100, 26 in frame 4. The fuzzer's find, tests/fuzz/corpus/tls/
   resync-gap-skipped. */
START_TEST(t_resync_gap)
{
	static struct run r;
	static const unsigned tail[] = { 0, 3 };
	struct script *s = script_new();
	const struct dt_tls_facts *f = &r.tf;
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	struct b body = { 0 }, *b;
	char want[32];
	unsigned skipped = 5 + tail[_i] + 100 + 26;

	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	b = step(s, DT_C2S, 2);
	u8(b, 0);		/* content type 0: not a header */
	u16(b, 0x0501);
	u16(b, 0);
	zeros(b, tail[_i]);
	gap(s, DT_C2S, 3, 100);
	b = step(s, DT_C2S, 4);
	zeros(b, 26);		/* no header starts in these */
	u8(b, 21);		/* alert, fatal handshake_failure */
	u16(b, 0x0303);
	u16(b, 2);
	u8(b, 2);
	u8(b, 40);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_ptr_nonnull(dt_tls_rare(f)->malformed);
	ck_assert_str_eq(dt_tls_rare(f)->malformed,
	    "client record of content type 0");
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 4);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_dir, DT_C2S);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, skipped);
	snprintf(want, sizeof want, "4:0:%u ", skipped);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_RESYNC, -1), want);
	ck_assert_uint_eq(f->alert_frame, 4);
	ck_assert_uint_eq(f->alert_desc, 40);
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_malformed)
{
	static struct run r;
	struct script *s = script_bad(_i);
	const struct dt_tls_facts *f = &r.tf;
	char ev[64];

	run_all(&r, s, 0);
	ck_assert_msg(dt_tls_rare(f)->malformed != NULL, "case %d: no malformed fact:\n%s",
	    _i, r.o.text);
	ck_assert_msg(strncmp(dt_tls_rare(f)->malformed, bad_cases[_i].why,
	    strlen(bad_cases[_i].why)) == 0, "case %d: \"%s\"", _i,
	    dt_tls_rare(f)->malformed);
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, bad_cases[_i].frame);
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_dir, bad_cases[_i].dir);
	snprintf(ev, sizeof ev, "%llu:0:0 ",
	    (unsigned long long)bad_cases[_i].frame);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_MALFORMED, -1), ev);
	/* counted as a protocol violation (issue 17: the record layer reads
	   on where the framing allows, so the direction may still be read) */
	ck_assert_uint_ge(dt_tls_rare(f)->n_violations, 1);
	/* what a ClientHello offered before the field that breaks the rules
	   is kept (the hello itself is not: no ch_frame); a cipher_suites
	   vector that is itself bad gives nothing */
	if (strcmp(bad_cases[_i].why, "ClientHello: empty "
	    "compression_methods") == 0) {
		ck_assert_uint_eq(dt_tls_hello(f)->n_offered_suites, 1);
		ck_assert_uint_eq(dt_tls_hello(f)->offered_suites[0], 0x002F);
		ck_assert_uint_eq(f->ch_frame, 0);
	} else if (strstr(bad_cases[_i].why, "cipher_suites") != NULL)
		ck_assert_uint_eq(dt_tls_hello(f)->n_offered_suites, 0);
	run_free(&r);
	free(s);
}
END_TEST

/* A 16 MiB handshake length is a named fact, not an allocation. */
START_TEST(t_cap)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	b = step(s, DT_C2S, 1);
	u8(b, 22);
	u16(b, 0x0301);
	u16(b, 16384);
	u8(b, 1);
	u24(b, 0xFFFFFF);
	zeros(b, 16380);
	b = step(s, DT_C2S, 2);
	encrypted_record(b, 22, 16384);
	seal(s);
	run(&r, s, 0, 0, 0, 0);
	ck_assert_str_eq(dt_tls_rare(f)->malformed, "handshake message of 16777215 bytes "
	    "exceeds the cap of 262144 bytes");
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, 1);
	ck_assert_uint_lt(r.m.peak, 200000);
	run_free(&r);

	/* a legitimate Certificate longer than a small cap */
	free(s);
	s = script_full12();
	run_all(&r, s, 512);
	ck_assert_str_eq(dt_tls_rare(f)->malformed, "handshake message of 841 bytes "
	    "exceeds the cap of 512 bytes");
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_frame, 2);
	ck_assert_uint_eq(dt_tls_rare(f)->malformed_dir, DT_S2C);
	ck_assert_uint_eq(f->sh_frame, 2);
	ck_assert_uint_eq(f->n_server_certs, 0);
	ck_assert_uint_le(r.peak_buffered, 5 + 16384 + 2048 + 512);
	run_free(&r);
	free(s);
}
END_TEST

/* ---- gaps, resumption, alerts ------------------------------------------- */

START_TEST(t_gap)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, "da.example.com", 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	/* the server's Certificate cut by snaplen: a gap inside it */
	body.n = 0;
	server_hello(&body, 0x003B, 0, 0, 0, 0);
	certificate(&body, 2);
	b = step(s, DT_S2C, 2);
	records(b, 22, 0x0303, body.p, 200, 16384);	/* header says 200 */
	gap(s, DT_S2C, 3, 150);
	b = step(s, DT_S2C, 4);
	zeros(b, 50);
	seal(s);
	/* only whole: a gap is not a byte stream to split */
	run(&r, s, 0, 0, 0, 0);
	ck_assert_int_eq(dt_tls_rare(f)->truncated, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->truncated_frame, 3);
	ck_assert_uint_eq(f->sh_frame, 2);
	ck_assert_uint_eq(f->server_cert_frame, 0);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	ck_assert_int_eq(r.ret[3], 0);
	run_free(&r);
	free(s);

	/* snaplen cut the ClientHello's record: the client's alert after it
	   is still read (the record boundary is known) */
	s = script_new();
	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	gap(s, DT_C2S, 1, b->n - 100);
	b->n = 100;
	b = step(s, DT_C2S, 3);
	u8(b, 21);
	u16(b, 0x0303);
	u16(b, 2);
	u8(b, 2);
	u8(b, 42);
	b = step(s, DT_C2S, 4);	/* a handshake record starting a message:
				   read again (issue 17) */
	body.n = 0;
	opaque_msg(&body, 16, 10);
	record(b, 22, &body);
	seal(s);
	run(&r, s, 0, 0, 0, 0);
	ck_assert_int_eq(dt_tls_rare(f)->truncated, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->truncated_frame, 1);
	ck_assert_uint_eq(f->ch_frame, 0);
	ck_assert_uint_eq(f->alert_frame, 3);
	ck_assert_uint_eq(f->alert_dir, DT_C2S);
	ck_assert_uint_eq(f->alert_desc, 42);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, -1), "4:16:0 ");
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);

	/* a gap inside application data that is only counted: no harm */
	s = script_full12();
	s->n = 6;		/* up to the client's application data */
	{
		struct b *g = step(s, DT_C2S, 8);
		g->n = 0;
	}
	s->s[5].n = 30;		/* the first record, cut short */
	s->s[6].gap = 75;
	s->s[6].frame = 8;
	b = step(s, DT_C2S, 9);
	b->n = 0;
	encrypted_record(b, 23, 10);
	s->s[7].p = b->p;
	s->s[7].n = b->n;
	run(&r, s, 0, 0, 0, 0);
	ck_assert_int_eq(dt_tls_rare(f)->truncated, 0);
	ck_assert_uint_eq(f->appdata_frame[0], 6);
	run_free(&r);
	free(s);
}
END_TEST

/* sid: the server echoes the client's session id and sends CCS at once */
START_TEST(t_resumed)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_mixed, 5, 32, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	int echo = _i == 0;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0xC02F, echo ? 1 : 2, 32, 0, 0);
	if (!echo)
		certificate(&body, 1);
	opaque_msg(&body, 4, 40);	/* NewSessionTicket (RFC 5077 3.3) */
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	ccs(b);
	encrypted_record(b, 22, 40);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_int_eq(r.c.tls->resumed, echo);
	ck_assert_uint_eq(r.c.tls->finished_frame[1], 2);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_S2C), echo ?
	    "2:2:0 2:4:0 2:20:1 " : "2:2:0 2:11:0 2:4:0 2:20:1 ");
	run_free(&r);
	free(s);
}
END_TEST

/* NPN (KakaoTalk_chat.pcap in the corpus, frames 118, 145, 167): after
   CCS the client sends NextProtocol and Finished as two encrypted
   handshake records; a server's renegotiation sends one after its
   Finished. The first after CCS stays the Finished; every later one is
   shown with its size (before, only the first was). */
START_TEST(t_encrypted_hs_records)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_mixed, 5, 32, NULL, 0, 0 };
	static struct b body;
	struct b *b;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	body.n = 0;
	server_hello(&body, 0xC02F, 2, 32, 0, 0);
	certificate(&body, 1);
	opaque_msg(&body, 14, 0);	/* ServerHelloDone */
	b = step(s, DT_S2C, 2);
	record(b, 22, &body);
	body.n = 0;
	opaque_msg(&body, 16, 66);	/* ClientKeyExchange */
	b = step(s, DT_C2S, 3);
	record(b, 22, &body);
	ccs(b);
	encrypted_record(b, 22, 60);	/* NextProtocol */
	encrypted_record(b, 22, 40);	/* Finished */
	encrypted_record(b, 23, 100);
	b = step(s, DT_S2C, 4);
	ccs(b);
	encrypted_record(b, 22, 40);
	encrypted_record(b, 23, 100);
	b = step(s, DT_S2C, 5);
	encrypted_record(b, 22, 32);	/* HelloRequest, renegotiating */
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(r.c.tls->finished_frame[DT_C2S], 3);
	ck_assert_uint_eq(r.c.tls->finished_frame[DT_S2C], 4);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_C2S),
	    "1:1:0 3:16:0 3:20:1 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ENCRYPTED, DT_C2S), "3:0:40 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ENCRYPTED, DT_S2C), "5:0:32 ");
	ck_assert_ptr_null(dt_tls_rare(r.c.tls)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

START_TEST(t_alerts)
{
	static struct run r;
	struct script *s = script_new();
	struct ch o = { 0x0303, suites_null, 3, 0, NULL, 0, 0 };
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	client_hello(&body, &o);
	b = step(s, DT_C2S, 1);
	record(b, 22, &body);
	/* the ADC without NULL suites: fatal handshake_failure */
	b = step(s, DT_S2C, 2);
	u8(b, 21);
	u16(b, 0x0303);
	u16(b, 2);
	u8(b, 2);
	u8(b, 40);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 2);
	ck_assert_uint_eq(f->alert_dir, DT_S2C);
	ck_assert_uint_eq(f->alert_level, 2);
	ck_assert_uint_eq(f->alert_desc, 40);
	ck_assert_int_eq(f->alert_encrypted, 0);
	ck_assert_uint_eq(f->n_alerts, 1);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1), "2:552:0 ");
	run_free(&r);
	free(s);

	/* after the client's CCS (encrypting suite) an alert is encrypted */
	s = script_full12();
	s->n = 4;
	b = step(s, DT_C2S, 8);
	b->n = 0;
	encrypted_record(b, 21, 26);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 8);
	ck_assert_uint_eq(f->alert_dir, DT_C2S);
	ck_assert_uint_eq(f->alert_level, 0);
	ck_assert_uint_eq(f->alert_desc, 0);
	ck_assert_int_eq(f->alert_encrypted, 1);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1), "8:0:1 ");
	run_free(&r);
	free(s);

	/* a capture that begins after the hellos: a 26-byte alert record is
	   a protected one, not 13 alerts */
	s = script_new();
	b = step(s, DT_S2C, 3);
	encrypted_record(b, 21, 26);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 3);
	ck_assert_int_eq(f->alert_encrypted, 1);
	ck_assert_uint_eq(f->n_alerts, 1);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/* Alerts after application data (the close_notify that ends a healthy
   session) are recorded: encrypted, or plaintext + MAC with a NULL suite.
   The first alert stays the deciding one; the directions are followed for
   the life of the connection. */
START_TEST(t_after_appdata)
{
	static struct run r;
	struct script *s = script_full12();
	static struct b body;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	b = step(s, DT_C2S, 8);
	b->n = 0;
	encrypted_record(b, 23, 60);
	encrypted_record(b, 21, 26);
	b = step(s, DT_S2C, 9);
	b->n = 0;
	encrypted_record(b, 23, 70);
	encrypted_record(b, 21, 26);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 8);
	ck_assert_uint_eq(f->alert_dir, DT_C2S);
	ck_assert_int_eq(f->alert_encrypted, 1);
	ck_assert_uint_eq(f->n_alerts, 2);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1), "8:0:1 9:0:1 ");
	ck_assert_uint_eq(f->appdata_records[0], 3);
	ck_assert_uint_eq(f->appdata_bytes[0], 260);
	ck_assert_uint_eq(f->appdata_records[1], 2);
	ck_assert_uint_eq(f->appdata_bytes[1], 120);
	ck_assert_int_eq(r.ret[7], 1);
	ck_assert_int_eq(r.ret[8], 1);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);

	/* NULL suite: application data after the HTTP head, then both
	   sides' close_notify in plaintext followed by the 32-byte MAC */
	s = script_null(0);
	b = step(s, DT_C2S, 7);
	b->n = 0;
	body.n = 0;
	zeros(&body, 40 + 32);
	record(b, 23, &body);
	body.n = 0;
	u8(&body, 1);
	u8(&body, 0);
	zeros(&body, 32);
	record(b, 21, &body);
	b = step(s, DT_S2C, 8);
	b->n = 0;
	record(b, 21, &body);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->alert_frame, 7);
	ck_assert_uint_eq(f->alert_dir, DT_C2S);
	ck_assert_uint_eq(f->alert_level, 1);
	ck_assert_uint_eq(f->alert_desc, 0);
	ck_assert_int_eq(f->alert_encrypted, 0);
	ck_assert_uint_eq(f->n_alerts, 2);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1),
	    "7:256:0 8:256:0 ");
	ck_assert_uint_eq(f->appdata_records[0], 3);
	ck_assert_uint_eq(dt_tls_http(f)->request.frame, 5);
	ck_assert_int_eq(r.ret[6], 1);
	ck_assert_int_eq(r.ret[7], 1);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/* A capture that began inside the session: the client's first record
   need not be a handshake record. */
START_TEST(t_midstream_client)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	b = step(s, DT_C2S, 12);
	encrypted_record(b, 21, 26);
	seal(s);
	run_roles_from_syn = 0;		/* no SYN seen */
	run_all(&r, s, 0);
	ck_assert_int_eq(f->seen, 1);
	ck_assert_uint_eq(f->alert_frame, 12);
	ck_assert_uint_eq(f->alert_dir, DT_C2S);
	ck_assert_int_eq(f->alert_encrypted, 1);
	ck_assert_int_eq(r.ret[0], 1);
	run_free(&r);

	/* seen from its SYN, a client that does not begin with a handshake
	   record is not TLS */
	run_roles_from_syn = 1;
	run_all(&r, s, 0);
	ck_assert_int_eq(f->seen, 0);
	ck_assert_uint_eq(f->alert_frame, 0);
	ck_assert_int_eq(r.ret[0], 0);
	run_free(&r);
	free(s);

	/* ... unless the server already speaks TLS */
	s = script_new();
	b = step(s, DT_S2C, 8);
	encrypted_record(b, 23, 40);
	b = step(s, DT_C2S, 9);
	encrypted_record(b, 23, 50);
	seal(s);
	run_all(&r, s, 0);
	run_roles_from_syn = 0;
	ck_assert_uint_eq(f->appdata_frame[0], 9);
	ck_assert_uint_eq(f->appdata_bytes[0], 50);
	ck_assert_uint_eq(f->appdata_frame[1], 8);
	ck_assert_int_eq(r.ret[1], 1);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/*
 * A capture that began inside a server record, on port 443 (nDPI's
 * 443-chrome.pcap): the tail of a record, then records. Found where two
 * headers follow one another, the tail the resync fact, the records read
 * from the frames they came in, whole and byte by byte. Bytes of another
 * protocol there (KakaoTalk's on 443) stay the non-TLS fact; on a port
 * that is not a TLS port, the tail is not searched.
 */
START_TEST(t_midstream_record)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	static const uint8_t tail[8] = { 0x01, 0xb0, 0x64, 0x85, 0x09, 0x06,
	    0x0d, 0x2c };

	b = step(s, DT_S2C, 1);
	raw(b, tail, sizeof tail);
	encrypted_record(b, 23, 1316);
	b = step(s, DT_S2C, 2);
	encrypted_record(b, 23, 300);
	encrypted_record(b, 21, 26);
	seal(s);
	run_roles_from_syn = 0;
	run_server_port = 443;
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, 8);
	ck_assert_uint_eq(f->appdata_frame[DT_S2C], 1);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 1316 + 300);
	ck_assert_uint_eq(f->alert_frame, 2);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_RESYNC, -1), "1:0:8 ");
	run_free(&r);
	run(&r, s, 2, 0, 0, 0);		/* byte by byte */
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, 8);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 1316 + 300);
	ck_assert_uint_eq(f->alert_frame, 2);
	run_free(&r);

	/* another port: the tail is what the server sent, not TLS */
	run_server_port = 5223;
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 1);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 0);
	run_free(&r);
	free(s);

	/* another protocol on 443: no two headers in a row */
	s = script_new();
	b = step(s, DT_S2C, 46);
	raw(b, "\xb6\x01\x00\x00\xef\xe9\xc6\x68\xb5\x5d\xa9\x17"
	    "\x3e\x1a\x4b\x7b\x17\x03\x03\x00\x04" "abcdefgh", 29);
	seal(s);
	run_server_port = 443;
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 46);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_dir, DT_S2C);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line, "(binary) b6 01 00 00 "
	    "ef e9 c6 68 b5 5d a9 17 3e 1a 4b 7b");
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 0);
	ck_assert_int_eq(f->seen, 0);
	run_free(&r);
	run_roles_from_syn = 0;
	run_server_port = 0;
	free(s);
}
END_TEST

/*
 * A midstream start whose first bytes happen to be printable is still
 * searched for records unless its first line is all text: mercury's
 * capture2.pcap has a server segment that begins inside a record with
 * "60 5a 70 50 42 35 56 22 7a" ("`ZpPB5V\"z") then dd, judged text on its
 * first three bytes and made wrong-server. A text line (an HTTP reply)
 * stays the non-TLS fact, whole or in pieces.
 */
START_TEST(t_midstream_printable)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	static const uint8_t tail[12] = { 0x60, 0x5a, 0x70, 0x50, 0x42, 0x35,
	    0x56, 0x22, 0x7a, 0xdd, 0x0a, 0x31 };

	b = step(s, DT_S2C, 3);
	raw(b, tail, sizeof tail);
	encrypted_record(b, 23, 1000);
	b = step(s, DT_S2C, 4);
	encrypted_record(b, 23, 200);
	seal(s);
	run_roles_from_syn = 0;
	run_server_port = 443;
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 3);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, sizeof tail);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 1000 + 200);
	run_free(&r);
	run(&r, s, 2, 0, 0, 0);		/* byte by byte */
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, sizeof tail);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 1000 + 200);
	run_free(&r);
	free(s);

	/* a text line is what it says, however it is split */
	s = script_new();
	b = step(s, DT_S2C, 7);
	str(b, "HTTP/1.1 400 Bad Request\r\nServer: x\r\n\r\n");
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 7);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line,
	    "HTTP/1.1 400 Bad Request");
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 0);
	run_free(&r);
	run(&r, s, 2, 0, 0, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 7);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line,
	    "HTTP/1.1 400 Bad Request");
	run_free(&r);
	run_roles_from_syn = 0;
	run_server_port = 0;
	free(s);
}
END_TEST

/*
 * A midstream first line shorter than three bytes is no sign of text: a
 * cut into ciphertext begins "x\n" about once in 600 segments, and was
 * made the non-TLS fact (wrong-server). A text line whose end the capture
 * never holds (it ended, or lost the rest) is still text, as it was when
 * three bytes decided.
 */
START_TEST(t_midstream_short_line)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	static const uint8_t head[4] = { 0x41, 0x0a, 0xd3, 0x07 };

	b = step(s, DT_S2C, 3);
	raw(b, head, sizeof head);
	encrypted_record(b, 23, 1000);
	encrypted_record(b, 23, 200);
	seal(s);
	run_roles_from_syn = 0;
	run_server_port = 443;
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 3);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, sizeof head);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 1000 + 200);
	run_free(&r);
	free(s);

	/* the capture ends inside the first line */
	s = script_new();
	b = step(s, DT_S2C, 7);
	str(b, "HTTP/1.1 400 Bad Re");
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 7);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line, "HTTP/1.1 400 Bad Re");
	run_free(&r);
	free(s);

	/* a gap cuts it */
	s = script_new();
	b = step(s, DT_S2C, 7);
	str(b, "HTTP/1.1 400 Bad Re");
	gap(s, DT_S2C, 8, 100);
	b = step(s, DT_S2C, 9);
	str(b, "more\r\n");
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 7);
	ck_assert_str_eq(dt_tls_rare(f)->non_tls_line, "HTTP/1.1 400 Bad Re");
	run_free(&r);
	run_roles_from_syn = 0;
	run_server_port = 0;
	free(s);
}
END_TEST

/*
 * A gap before a midstream start found its first record: the search
 * goes on after it, the bytes before it and those lost counted as passed
 * over (mercury's capture2.pcap: 1400 bytes inside a 16 KB record, 4200
 * lost, then the rest of the record and more). It was "not TLS" at the
 * gap, and wrong-server.
 */
START_TEST(t_midstream_gap)
{
	static struct run r;
	struct script *s = script_new();
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;
	size_t i;

	b = step(s, DT_S2C, 3);
	for (i = 0; i < 1400; i++)
		u8(b, 0x80 | (unsigned)(i * 7));	/* no header in it */
	gap(s, DT_S2C, 5, 4200);
	b = step(s, DT_S2C, 7);
	for (i = 0; i < 300; i++)
		u8(b, 0x81);
	encrypted_record(b, 23, 2000);
	encrypted_record(b, 23, 100);
	seal(s);
	run_roles_from_syn = 0;
	run_server_port = 443;
	run(&r, s, 0, 0, 0, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 7);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_skipped, 1400 + 4200 + 300);
	ck_assert_uint_eq(f->appdata_frame[DT_S2C], 7);
	ck_assert_uint_eq(f->appdata_bytes[DT_S2C], 2000 + 100);
	run_free(&r);
	free(s);

	/* another protocol with a gap: still not TLS, told by what came
	   after it */
	s = script_new();
	b = step(s, DT_S2C, 3);
	for (i = 0; i < 1400; i++)
		u8(b, 0x80 | (unsigned)(i * 7));
	gap(s, DT_S2C, 5, 4200);
	b = step(s, DT_S2C, 7);
	for (i = 0; i < 600; i++)
		u8(b, 0xb6);
	seal(s);
	run(&r, s, 0, 0, 0, 0);
	ck_assert_uint_eq(dt_tls_rare(f)->non_tls_frame, 7);
	ck_assert_uint_eq(dt_tls_rare(f)->resync_frame, 0);
	ck_assert_int_eq(f->seen, 0);
	run_free(&r);
	run_roles_from_syn = 0;
	run_server_port = 0;
	free(s);
}
END_TEST

/* Records hopped by their header belong to the frame that completes
   them; one the capture never completes, to the frame of its header. */
START_TEST(t_hop_frames)
{
	static struct run r;
	struct script *s = script_full12();
	static struct b fin, app;
	struct b *b;
	const struct dt_tls_facts *f = &r.tf;

	s->n = 4;		/* up to the client's CCS + Finished */
	fin.n = app.n = 0;
	encrypted_record(&fin, 22, 40);
	encrypted_record(&app, 23, 100);
	b = step(s, DT_S2C, 5);
	b->n = 0;
	ccs(b);
	raw(b, fin.p, 15);
	b = step(s, DT_S2C, 6);
	b->n = 0;
	raw(b, fin.p + 15, fin.n - 15);
	b = step(s, DT_C2S, 7);
	b->n = 0;
	raw(b, app.p, 35);
	b = step(s, DT_S2C, 8);	/* the capture ends inside this one */
	b->n = 0;
	encrypted_record(b, 23, 1000);
	b->n = 5 + 50;
	b = step(s, DT_C2S, 9);
	b->n = 0;
	raw(b, app.p + 35, app.n - 35);
	encrypted_record(b, 21, 26);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_uint_eq(f->ccs_frame[1], 5);
	ck_assert_uint_eq(f->finished_frame[1], 6);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_S2C),
	    "2:2:0 3:11:0 3:12:0 3:13:0 3:14:0 6:20:1 ");
	ck_assert_uint_eq(f->appdata_frame[0], 9);
	ck_assert_uint_eq(f->appdata_bytes[0], 100);
	ck_assert_uint_eq(f->appdata_frame[1], 8);
	ck_assert_uint_eq(f->appdata_bytes[1], 1000);
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_APPDATA, -1),
	    "9:0:0 8:0:0 ");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_ALERT, -1), "9:0:1 ");
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	run_free(&r);
	free(s);
}
END_TEST

/* A client Certificate with a certificate in it. */
START_TEST(t_client_cert)
{
	static struct run r;
	struct script *s = script_full12();
	static struct b body;
	struct b *b = &s->data[3];
	const struct dt_tls_facts *f = &r.tf;

	body.n = 0;
	certificate(&body, 1);
	opaque_msg(&body, 16, 66);
	opaque_msg(&body, 15, 72);	/* CertificateVerify */
	b->n = 0;
	record(b, 22, &body);
	ccs(b);
	encrypted_record(b, 22, 40);
	seal(s);
	run_all(&r, s, 0);
	ck_assert_int_eq(f->client_cert, DT_CCERT_PRESENT);
	ck_assert_uint_eq(dt_tls_rare(f)->client_cert_frame, 4);
	ck_assert_uint_eq(dt_tls_rare(f)->n_client_certs, 1);
	ck_assert_str_eq(dt_tls_rare(f)->client_certs[0].subject, "CN=da.example.com");
	ck_assert_str_eq(dt_tls_rare(f)->client_certs[0].issuer, "CN=Corp Root CA");
	ck_assert_str_eq(events_of(&r.c, DT_EV_TLS_HANDSHAKE, DT_C2S),
	    "1:1:0 4:11:0 4:16:0 4:15:0 4:20:1 ");
	run_free(&r);
	free(s);
}
END_TEST

/* ---- names --------------------------------------------------------------- */

START_TEST(t_names)
{
	unsigned v;

	ck_assert_str_eq(dt_tls_suite_name(0x0002), "TLS_RSA_WITH_NULL_SHA");
	ck_assert_str_eq(dt_tls_suite_name(0x003B), "TLS_RSA_WITH_NULL_SHA256");
	ck_assert_str_eq(dt_tls_suite_name(0xC030),
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	ck_assert_str_eq(dt_tls_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
	ck_assert_str_eq(dt_tls_suite_name(0xCCA8),
	    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	ck_assert_str_eq(dt_tls_suite_name(0x00FF),
	    "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	ck_assert_str_eq(dt_tls_suite_name(0x5A5A), "GREASE");
	ck_assert_ptr_null(dt_tls_suite_name(0x0047));
	ck_assert_ptr_null(dt_tls_suite_name(0xFFFF));
	ck_assert_int_eq(dt_tls_suite_is_null(0x0002), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0x003B), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0x0001), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0xC010), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0x00B1), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0x0000), 1);
	ck_assert_int_eq(dt_tls_suite_is_null(0x002F), 0);
	ck_assert_int_eq(dt_tls_suite_is_null(0x0A0A), 0);
	ck_assert_int_eq(dt_tls_suite_is_null(0x1234), 0);
	for (v = 0; v <= 0xFFFF; v++)	/* the bits agree with the table */
		ck_assert_int_eq(dt_tls_suite_is_null((uint16_t)v),
		    dt_tls_null_mac_len((uint16_t)v) >= 0);
	ck_assert_int_eq(dt_tls_null_mac_len(0x0002), 20);
	ck_assert_int_eq(dt_tls_null_mac_len(0x003B), 32);
	ck_assert_int_eq(dt_tls_null_mac_len(0x0001), 16);
	ck_assert_int_eq(dt_tls_null_mac_len(0x00B1), 48);
	ck_assert_int_eq(dt_tls_null_mac_len(0x002F), -1);
	ck_assert_str_eq(dt_tls_alert_name(40), "handshake_failure");
	ck_assert_str_eq(dt_tls_alert_name(0), "close_notify");
	ck_assert_str_eq(dt_tls_alert_name(116), "certificate_required");
	ck_assert_ptr_null(dt_tls_alert_name(255));
	ck_assert_str_eq(dt_tls_handshake_name(1), "client_hello");
	ck_assert_str_eq(dt_tls_handshake_name(14), "server_hello_done");
	ck_assert_ptr_null(dt_tls_handshake_name(99));
	ck_assert_str_eq(dt_tls_extension_name(0), "server_name");
	ck_assert_str_eq(dt_tls_extension_name(16),
	    "application_layer_protocol_negotiation");
	ck_assert_str_eq(dt_tls_extension_name(65281), "renegotiation_info");
	ck_assert_str_eq(dt_tls_extension_name(0xFAFA), "GREASE");
	ck_assert_ptr_null(dt_tls_extension_name(40));
	ck_assert_str_eq(dt_tls_version_name(0x0300), "SSL 3.0");
	ck_assert_str_eq(dt_tls_version_name(0x0303), "TLS 1.2");
	ck_assert_str_eq(dt_tls_version_name(0x0304), "TLS 1.3");
	ck_assert_ptr_null(dt_tls_version_name(0x0305));
}
END_TEST

/* ---- real captures (through the whole pipeline) ------------------------ */

static const struct {
	const char *path;	/* under CORPUS_DIR */
	uint64_t ch_frame, sh_frame;
	uint16_t version, suite;
	size_t n_server_certs;
	int hrr, client_cert, sslv2;
	uint64_t alert_frame;
	uint8_t alert_desc;
	const char *non_tls_line;
} corpus_cases[] = {
	{ "zeek/testing/btest/Traces/tls/hrr.pcap", 4, 11, 0x0304, 0x1302, 0,
	  1, DT_CCERT_NONE, 0, 0, 0, NULL },
	{ "zeek/testing/btest/Traces/tls/client-certificate.pcap", 4, 6,
	  0x0303, 0xC030, 3, 0, DT_CCERT_PRESENT, 0, 0, 0, NULL },
	{ "zeek/testing/btest/Traces/tls/tls-1.2-handshake-failure.pcap", 4,
	  0, 0, 0, 0, 0, DT_CCERT_NONE, 0, 6, 40, NULL },
	{ "zeek/testing/btest/Traces/tls/ssl-to-http-server.pcap", 3, 0, 0, 0,
	  0, 0, DT_CCERT_NONE, 0, 0, 0, "HTTP/1.1 400 Bad Request" },
	{ "zeek/testing/btest/Traces/tls/ssl-v2.pcap", 4, 6, 0x0002, 0, 0, 0,
	  DT_CCERT_NONE, 1, 0, 0, NULL },
	{ "arkime/tests/pcap/openssl-tls1_2.pcap", 4, 6, 0x0303, 0xC02F, 3, 0,
	  DT_CCERT_NONE, 0, 17, 0, NULL },
};

/* An SSL 2.0 session (CLIENT-HELLO, SERVER-HELLO): no TLS suite was
   chosen, so no null-cipher-negotiated; the client offered SSL 2.0, so no
   tls-version-mismatch. */
START_TEST(t_sslv2_corpus)
{
	char path[512];
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	const struct dt_verdict *v;
	const struct dt_conn *c;

	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR,
	    "zeek/testing/btest/Traces/tls/ssl-v2.pcap");
	if (!tu_exists(path))
		return;		/* the shared corpus is optional */
	o.all = 1;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, path), 0);
	ck_assert_uint_eq(a->n_caps, 1);
	c = a->caps[0]->conns;
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->tls->sh_frame, 6);
	ck_assert_uint_eq(c->tls->version, 0x0002);
	/* the client's CLIENT-MASTER-KEY (frame 8), as tshark shows it */
	ck_assert_str_eq(events_of(c, DT_EV_SSLV2_HELLO, -1),
	    "4:1:0 6:4:0 8:2:0 ");
	for (v = a->caps[0]->verdicts; v != NULL; v = v->next) {
		ck_assert_str_ne(v->id, "null-cipher-negotiated");
		ck_assert_str_ne(v->id, "tls-version-mismatch");
	}
	dt_analyzer_free(a);
}
END_TEST

/* sslscan 2.0's SSLv2-format CLIENT-HELLO to an OpenSSL 3 server
   (testdata/gen/sslv2.sh): eight SSL 2.0 cipher kinds and
   TLS_NULL_WITH_NULL_NULL. Every spec is kept in order and named; only
   0x000000 is a TLS suite, and it offers no NULL cipher. */
START_TEST(t_sslv2_sslscan)
{
	static const struct {
		uint32_t id;
		const char *name;
	} want[] = {
		{ 0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5" },
		{ 0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5" },
		{ 0x010080, "SSL_CK_RC4_128_WITH_MD5" },
		{ 0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5" },
		{ 0x080080, "SSL_CK_RC4_64_WITH_MD5" },
		{ 0x060040, "SSL_CK_DES_64_CBC_WITH_MD5" },
		{ 0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5" },
		{ 0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5" },
		{ 0x000000, "TLS_NULL_WITH_NULL_NULL" },
	};
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	const struct dt_conn *c;
	const struct dt_verdict *v;
	size_t i;

	o.all = 1;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, TESTDATA_DIR
	    "/scenarios/sslv2-sslscan.pcap"), 0);
	ck_assert_uint_eq(a->n_caps, 1);
	c = a->caps[0]->conns;
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->tls->sslv2_hello, 1);
	ck_assert_uint_eq(c->tls->ch_frame, 4);
	ck_assert_uint_eq(dt_tls_rare(c->tls)->n_sslv2_specs, 9);
	for (i = 0; i < 9; i++) {
		ck_assert_uint_eq(dt_tls_rare(c->tls)->sslv2_specs[i], want[i].id);
		ck_assert_str_eq(dt_tls_sslv2_spec_name(dt_tls_rare(c->tls)->sslv2_specs[i]),
		    want[i].name);
	}
	ck_assert_uint_eq(dt_tls_hello(c->tls)->n_offered_suites, 1);
	ck_assert_uint_eq(dt_tls_hello(c->tls)->offered_suites[0], 0x0000);
	ck_assert_int_eq(dt_tls_hello(c->tls)->offered_null, 0);
	ck_assert_int_eq(c->iphttps, 0);
	ck_assert_ptr_null(dt_tls_sslv2_spec_name(0x090080));
	/* OpenSSL's protocol_version alert: the client offered only SSL,
	   so the server's versions are not what the remedy changes */
	for (v = a->caps[0]->verdicts; v != NULL; v = v->next)
		if (strcmp(v->id, "tls-version-mismatch") == 0)
			break;
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->summary, "The server answered the ClientHello "
	    "with a protocol_version (70) alert (frame 6); the client offered "
	    "SSL 2.0 or lower (ClientHello frame 4); nothing from TLS 1.0 on "
	    "was offered, which no Windows IP-HTTPS client does");
	ck_assert_ptr_nonnull(strstr(v->remedy, "Find which program"));
	dt_analyzer_free(a);
}
END_TEST

/* The same shape on the wire (zeek's capture of a NULL-only hello to a
   web server): the verdicts say damaged TLS and a refused hello, never
   wrong-server (another protocol) at high confidence. */
START_TEST(t_damaged_alert_corpus)
{
	char path[512];
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	const struct dt_verdict *v;
	int violation = 0, absent = 0;

	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR,
	    "zeek/testing/btest/Traces/tls/tls-1.2-protocol-error.pcap");
	if (!tu_exists(path))
		return;		/* the shared corpus is optional */
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, path), 0);
	for (v = a->caps[0]->verdicts; v != NULL; v = v->next) {
		ck_assert_str_ne(v->id, "wrong-server");
		if (strcmp(v->id, "tls-protocol-violation") == 0) {
			violation = 1;
			ck_assert_uint_eq(v->n_frames, 1);
			ck_assert_uint_eq(v->frames[0], 6);
		}
		if (strcmp(v->id, "null-cipher-absent") == 0) {
			absent = 1;
			ck_assert_int_eq(v->confidence, DT_CONF_MEDIUM);
		}
	}
	ck_assert_int_eq(violation, 1);
	ck_assert_int_eq(absent, 1);
	dt_analyzer_free(a);
}
END_TEST

START_TEST(t_corpus)
{
	char path[512];
	dt_options o = DT_OPTIONS_INIT;
	dt_analyzer *a = NULL;
	const struct dt_conn *c;
	const struct dt_tls_facts *f;

	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, corpus_cases[_i].path);
	if (!tu_exists(path))
		return;		/* the shared corpus is optional */
	o.all = 1;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_file(a, path), 0);
	ck_assert_uint_eq(a->n_caps, 1);
	for (c = a->caps[0]->conns; c != NULL && !c->tls->seen &&
	    dt_tls_rare(c->tls)->non_tls_line == NULL; c = c->next)
		;
	ck_assert_ptr_nonnull(c);
	f = c->tls;
	ck_assert_uint_eq(f->ch_frame, corpus_cases[_i].ch_frame);
	ck_assert_uint_eq(f->sh_frame, corpus_cases[_i].sh_frame);
	ck_assert_uint_eq(f->version, corpus_cases[_i].version);
	ck_assert_uint_eq(f->suite, corpus_cases[_i].suite);
	ck_assert_uint_eq(f->n_server_certs, corpus_cases[_i].n_server_certs);
	ck_assert_int_eq(f->hrr, corpus_cases[_i].hrr);
	ck_assert_int_eq(f->client_cert, corpus_cases[_i].client_cert);
	ck_assert_int_eq(f->sslv2_hello, corpus_cases[_i].sslv2);
	ck_assert_uint_eq(f->alert_frame, corpus_cases[_i].alert_frame);
	ck_assert_uint_eq(f->alert_desc, corpus_cases[_i].alert_desc);
	if (corpus_cases[_i].non_tls_line != NULL)
		ck_assert_str_eq(dt_tls_rare(f)->non_tls_line, corpus_cases[_i].non_tls_line);
	else
		ck_assert_ptr_null(dt_tls_rare(f)->non_tls_line);
	ck_assert_ptr_null(dt_tls_rare(f)->malformed);
	dt_analyzer_free(a);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_full12);
	tcase_add_test(tc, t_hello_kept);
	tcase_add_test(tc, t_hello_memo);
	tcase_add_test(tc, t_tls_parts_kept);
	tcase_add_test(tc, t_null_http);
	tcase_add_test(tc, t_null_alert);
	tcase_add_test(tc, t_tls13);
	tcase_add_test(tc, t_hrr);
	tcase_add_loop_test(tc, t_s2n_alert, 0, 3);
	tcase_add_test(tc, t_midstream_record);
	tcase_add_test(tc, t_midstream_printable);
	tcase_add_test(tc, t_midstream_gap);
	tcase_add_test(tc, t_midstream_short_line);
	tcase_add_loop_test(tc, t_tls13_draft, 0,
	    sizeof draft_versions / sizeof draft_versions[0]);
	tcase_add_test(tc, t_sslv2);
	tcase_add_test(tc, t_sslv2_server);
	tcase_add_loop_test(tc, t_nontls, 0,
	    (int)(sizeof nontls_cases / sizeof nontls_cases[0]));
	tcase_add_test(tc, t_damaged_alert);
	tcase_add_loop_test(tc, t_connect, 0, 2);
	tcase_add_loop_test(tc, t_connect_empty_record, 0, 2);
	tcase_add_loop_test(tc, t_malformed, 0,
	    (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, t_cap);
	tcase_add_test(tc, t_gap);
	tcase_add_test(tc, t_resync_and_types);
	tcase_add_loop_test(tc, t_resync_gap, 0, 2);
	tcase_add_loop_test(tc, t_resumed, 0, 2);
	tcase_add_test(tc, t_encrypted_hs_records);
	tcase_add_test(tc, t_alerts);
	tcase_add_test(tc, t_after_appdata);
	tcase_add_test(tc, t_midstream_client);
	tcase_add_test(tc, t_hop_frames);
	tcase_add_test(tc, t_sslv2_corpus);
	tcase_add_test(tc, t_damaged_alert_corpus);
	tcase_add_test(tc, t_sslv2_sslscan);
	tcase_add_test(tc, t_client_cert);
	tcase_add_loop_test(tc, t_corpus, 0,
	    (int)(sizeof corpus_cases / sizeof corpus_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(tls_suite)
